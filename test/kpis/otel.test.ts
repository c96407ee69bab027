import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { afterEach, describe, expect, it } from "vitest";
import { type Instrumentation, instrument, recordKpi, trackContext } from "../../src/index.js";
import { otelSink } from "../../src/sinks/otel/index.js";

let handle: Instrumentation | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

describe("KPIs in OpenTelemetry", () => {
  it("each recordKpi is a costtrail.kpi.value point with the KPI and use case as attributes", async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    handle = instrument({
      ledger: false,
      globalInstrumentation: false,
      sinks: [otelSink({ meterProvider: provider, spans: false })],
    });
    await trackContext({ useCaseName: "support", useCaseVersion: 3 }, async () => {
      recordKpi("resolved", true);
      recordKpi("resolved", false);
      recordKpi("revenue", { value: 12.5, unit: "USD" });
    });
    await reader.forceFlush();
    const metric = exporter
      .getMetrics()
      .at(-1)
      ?.scopeMetrics.flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === "costtrail.kpi.value");
    const byName = Object.fromEntries(
      ((metric?.dataPoints ?? []) as DataPoint<Histogram>[]).map((p) => [
        p.attributes["costtrail.kpi.name"],
        { attributes: p.attributes, count: p.value.count, sum: p.value.sum },
      ]),
    );
    expect(byName).toEqual({
      resolved: {
        attributes: {
          "costtrail.kpi.name": "resolved",
          "costtrail.kpi.kind": "boolean",
          "costtrail.use_case.name": "support",
          "costtrail.use_case.version": 3,
        },
        count: 2,
        sum: 1,
      },
      revenue: {
        attributes: {
          "costtrail.kpi.name": "revenue",
          "costtrail.kpi.kind": "usd",
          "costtrail.kpi.unit": "USD",
          "costtrail.use_case.name": "support",
          "costtrail.use_case.version": 3,
        },
        count: 1,
        sum: 12.5,
      },
    });
    await provider.shutdown();
  });
});
