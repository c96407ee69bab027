import { describe, expect, it } from "vitest";
import {
  AnnotationError,
  ConfigError,
  createHeaders,
  instrument,
  track,
  trackContext,
} from "../../src/index.js";

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

describe("bad annotations throw AnnotationError naming the field, where written", () => {
  const cases: [string, unknown, string][] = [
    ["non-integer version", { useCaseVersion: 1.5 }, "useCaseVersion"],
    ["negative version", { useCaseVersion: -1 }, "useCaseVersion"],
    ["list given as a string", { limitIds: "x" }, "limitIds"],
    ["unknown key", { useCase: "x" }, "useCase"],
    ["empty string", { userId: "" }, "userId"],
    ["empty list entry", { requestTags: ["ok", ""] }, "requestTags.1"],
    ["non-string property value", { requestProperties: { n: 1 } }, "requestProperties.n"],
    [
      "__proto__ as a property key",
      JSON.parse('{"requestProperties":{"__proto__":"x"}}'),
      "requestProperties.__proto__",
    ],
    ["too long", { accountName: "x".repeat(513) }, "accountName"],
    ["too many list entries", { limitIds: Array.from({ length: 65 }, (_, i) => `l${i}`) }, "limitIds"],
  ];
  for (const [label, value, field] of cases) {
    it(`${label} → ${field}`, () => {
      for (const write of [
        () => track(value as never),
        () => trackContext(value as never, () => 1),
        () => createHeaders(value as never),
      ]) {
        const error = errorOf(write);
        expect(error).toBeInstanceOf(AnnotationError);
        expect((error as AnnotationError).field).toBe(field);
        expect(error.message).toContain(field);
      }
    });
  }

  it("@track validates at decoration time, before any call", () => {
    expect(() => {
      class Service {
        @track({ useCaseVersion: 1.5 })
        run() {}
      }
      return Service;
    }).toThrow(AnnotationError);
  });

  it("strings are kept as written, 512 characters is fine", () => {
    expect(() => track({ userId: " spaced ", accountName: "x".repeat(512) })).not.toThrow();
  });

  it("trackContext does not run fn when its annotations are bad", () => {
    let ran = false;
    expect(() =>
      trackContext({ userId: 3 } as never, () => {
        ran = true;
      }),
    ).toThrow(/userId/);
    expect(ran).toBe(false);
  });
});

describe("instrument() config", () => {
  it("rejects bad config with a ConfigError naming the key", () => {
    const bad: [unknown, string][] = [
      [{ globalInstrumentation: "yes" }, "globalInstrumentation"],
      [{ ledger: 3 }, "ledger"],
      [{ onEvent: "nope" }, "onEvent"],
      [{ sinks: [{}] }, "sinks.0"],
      [{ ledgr: ":memory:" }, "ledgr"],
      [{ limitsWhenLedgerDown: "deny" }, "limitsWhenLedgerDown"],
      [{ reservationMaxAgeMs: 10 }, "reservationMaxAgeMs"],
      [{ reservationMaxAgeMs: 1.5e3 + 0.5 }, "reservationMaxAgeMs"],
    ];
    for (const [config, field] of bad) {
      const error = errorOf(() => instrument(config as never));
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe(field);
    }
  });

  it("rejects bad defaults with an AnnotationError naming defaults.<field>", () => {
    const error = errorOf(() => instrument({ defaults: { useCaseVersion: 0.5 }, ledger: false }));
    expect(error).toBeInstanceOf(AnnotationError);
    expect((error as AnnotationError).field).toBe("defaults.useCaseVersion");
  });
});
