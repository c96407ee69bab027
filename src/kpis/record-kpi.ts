import type { z } from "zod";
import { newId } from "../context/ids.js";
import { currentAnnotations } from "../context/scope-tree.js";
import { AnnotationError } from "../errors.js";
import { log } from "../log.js";
import { getRuntime } from "../runtime.js";
import type { KpiKind, KpiRecord, KpiTarget, KpiValue } from "../types.js";
import { firstIssue, kpiNameSchema, kpiScalarSchema, kpiTargetSchema, kpiWithUnitSchema } from "./schema.js";

function invalid(field: string, message: string): AnnotationError {
  return new AnnotationError(field, `costtrail: invalid recordKpi() argument: ${field}: ${message}`);
}

function parse<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { field, message } = firstIssue(result.error, prefix);
  throw invalid(field, message);
}

function inferKind(raw: KpiValue, value: number, unit: string | undefined): KpiKind {
  if (typeof raw === "boolean") return "boolean";
  if (unit !== undefined && unit.toUpperCase() === "USD") return "usd";
  return Number.isInteger(value) ? "count" : "number";
}

/** A defined KPI takes values of its kind: booleans (or 0/1), whole counts, USD amounts. */
function checkAgainstDefinition(kind: KpiKind, raw: KpiValue, record: KpiRecord): void {
  const field = typeof raw === "object" ? "value.value" : "value";
  const v = record.value;
  const bad = (what: string) =>
    invalid(field, `"${record.name}" is a ${kind} KPI of use case "${record.useCaseName}": ${what}`);
  if (kind === "boolean" && v !== 0 && v !== 1) throw bad("must be true or false");
  if (kind === "count" && (typeof raw === "boolean" || !Number.isInteger(v) || v < 0))
    throw bad("must be a whole number ≥ 0");
  if (kind === "usd" && typeof raw === "boolean") throw bad("must be an amount in USD");
  if (kind === "usd" && record.unit !== undefined && record.unit.toUpperCase() !== "USD")
    throw invalid("value.unit", `"${record.name}" is a usd KPI: the unit must be USD`);
}

/**
 * Records an outcome (a KPI) against a use-case instance: the current one (the active `@track` /
 * `trackContext` scope), or `target` when the outcome is known later, elsewhere (another request or process).
 * Throws `AnnotationError` naming the field for a bad name, value or target, or when there is no instance.
 * Goes to every sink that takes KPIs (the ledger, OpenTelemetry) on the same buffered path as usage events.
 */
export function recordKpi(name: string, value: KpiValue, target?: KpiTarget): void {
  const kpiName = parse(kpiNameSchema, name, "name");
  let numeric: number;
  let unit: string | undefined;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const parsed = parse(kpiWithUnitSchema, value, "value");
    numeric = parsed.value;
    unit = parsed.unit;
  } else {
    const parsed = parse(kpiScalarSchema, value, "value");
    numeric = typeof parsed === "boolean" ? (parsed ? 1 : 0) : parsed;
  }
  const record: KpiRecord = {
    id: newId(),
    ts: new Date().toISOString(),
    name: kpiName,
    value: numeric === 0 ? 0 : numeric, // -0 → 0
    kind: inferKind(value, numeric, unit),
    useCaseName: "",
    useCaseId: "",
  };
  if (unit !== undefined) record.unit = unit;
  if (target !== undefined) {
    const t = parse(kpiTargetSchema, target, "target");
    record.useCaseName = t.useCaseName;
    record.useCaseId = t.useCaseId;
  } else {
    const a = currentAnnotations();
    if (!a.useCaseName || !a.useCaseId) {
      const missing = a.useCaseName ? "useCaseId" : "useCaseName";
      throw new AnnotationError(
        missing,
        `costtrail: recordKpi("${kpiName}"): no current use-case instance (${missing} is missing); ` +
          "call it inside @track / trackContext of a use case, or pass target: { useCaseName, useCaseId }",
      );
    }
    record.useCaseName = a.useCaseName;
    record.useCaseId = a.useCaseId;
    if (a.useCaseVersion !== undefined) record.useCaseVersion = a.useCaseVersion;
    if (a.userId !== undefined) record.userId = a.userId;
    if (a.accountName !== undefined) record.accountName = a.accountName;
  }
  const runtime = getRuntime();
  if (!runtime) {
    log.warnOnce(
      "recordKpi:not-instrumented",
      "recordKpi() called before instrument(); the KPI is not recorded",
    );
    return;
  }
  const defined = runtime.config.kpis.find((d) => d.name === kpiName && d.useCase === record.useCaseName);
  if (defined) {
    checkAgainstDefinition(defined.kind, value, record);
    record.kind = defined.kind;
  }
  runtime.pipeline.emitKpi(record);
}
