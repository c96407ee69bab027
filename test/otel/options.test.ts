// otelSink() checks its options when created: a wrong type or a typo is a ConfigError naming the field.
import { expect, it } from "vitest";
import { ConfigError } from "../../src/index.js";
import { otelSink } from "../../src/sinks/otel/index.js";

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error("expected a throw");
}

it.each([
  [{ spans: "no" }, "spans", "must be true or false"],
  [{ metrics: 0 }, "metrics", "must be true or false"],
  [{ name: "" }, "name", "must not be empty"],
  [{ tracerProvider: {} }, "tracerProvider", "must be a TracerProvider"],
  [{ meterProvider: "x" }, "meterProvider", "must be a MeterProvider"],
  [{ metricAttributes: { add: "userId" } }, "metricAttributes.add", "must be an array"],
  [{ span: false }, "span", "is not a known option"],
])("otelSink(%j) → ConfigError on %s", (options, field, message) => {
  const error = errorOf(() => otelSink(options as never));
  expect(error).toBeInstanceOf(ConfigError);
  expect(error.field).toBe(field);
  expect(error.message).toContain(`otelSink: invalid option ${field}: ${message}`);
});

it("good options are accepted", () => {
  expect(() =>
    otelSink({ spans: false, metrics: true, name: "otel-2", metricAttributes: { add: [] } }),
  ).not.toThrow();
});
