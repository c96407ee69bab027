import { z } from "zod";
import { MAX_STRING } from "../annotations/schema.js";
import type { KpiDefinition, KpiKind } from "../types.js";
import { MAX_KPI_VALUE } from "./nanos.js";

export const KPI_KINDS = ["count", "boolean", "usd", "number"] as const satisfies readonly KpiKind[];
export const GOAL_OPS = [">=", ">", "<=", "<", "="] as const;
export const MAX_KPI_NAME = 128;

const text = (max: number) =>
  z
    .string({ error: "must be a string" })
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`);

export const kpiNameSchema = text(MAX_KPI_NAME);

const finite = z
  .number({ error: "must be a number, a boolean or { value, unit }" })
  .refine(Number.isFinite, "must be a finite number")
  .refine((v) => Math.abs(v) <= MAX_KPI_VALUE, `must be between -${MAX_KPI_VALUE} and ${MAX_KPI_VALUE}`);

/** The value forms `recordKpi` accepts, checked one shape at a time so the error names the field. */
export const kpiScalarSchema = z.union([z.boolean(), finite], {
  error: "must be a number, a boolean or { value, unit }",
});
export const kpiWithUnitSchema = z.strictObject(
  { value: finite, unit: text(32) },
  { error: "must be a number, a boolean or { value, unit }" },
);

export const kpiTargetSchema = z.strictObject(
  { useCaseName: text(MAX_STRING), useCaseId: text(MAX_STRING) },
  { error: "must be { useCaseName, useCaseId }" },
);

export const kpiDefinitionSchema = z
  .strictObject(
    {
      name: kpiNameSchema,
      useCase: text(MAX_STRING),
      kind: z.enum(KPI_KINDS, { error: `must be one of ${KPI_KINDS.join(", ")}` }),
      goal: z
        .strictObject(
          {
            op: z.enum(GOAL_OPS, { error: `must be one of ${GOAL_OPS.join(" ")}` }),
            value: z.number({ error: "must be a number" }).refine(Number.isFinite, "must be a finite number"),
          },
          { error: 'must be { op, value }, e.g. { op: ">=", value: 0.6 }' },
        )
        .optional(),
      roi: z.boolean({ error: "must be true or false" }).optional(),
      description: text(MAX_STRING).optional(),
    },
    { error: "must be a KPI definition { name, useCase, kind }" },
  )
  .refine((d) => !d.roi || d.kind === "usd", { message: "only usd KPIs count for ROI", path: ["roi"] })
  .refine((d) => d.kind !== "boolean" || !d.goal || (d.goal.value >= 0 && d.goal.value <= 1), {
    message: "a boolean KPI's goal is a rate between 0 and 1",
    path: ["goal", "value"],
  });

export const kpiDefinitionsSchema = z
  .array(kpiDefinitionSchema, { error: "must be an array of KPI definitions" })
  .superRefine((defs, ctx) => {
    const seen = new Set<string>();
    defs.forEach((d, i) => {
      const key = `${d.useCase}\u0000${d.name}`;
      if (seen.has(key))
        ctx.addIssue({
          code: "custom",
          path: [i, "name"],
          message: `"${d.name}" is defined twice for use case "${d.useCase}"`,
        });
      seen.add(key);
    });
  });

/** The first issue as `path: message`, for errors that name the field. */
export function firstIssue(error: z.ZodError, prefix: string): { field: string; message: string } {
  const issue = error.issues[0]!;
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]!] : issue.path;
  const field = [prefix, ...path.map(String)].filter(Boolean).join(".");
  const message = issue.code === "unrecognized_keys" ? "is not a known key" : issue.message;
  return { field, message };
}

export type ParsedKpiDefinition = KpiDefinition;
