import { z } from "zod";
import { parseTimeBound } from "../ledger/durations.js";
import { GROUP_KEYS, type GroupKey } from "./compare.js";
import type { ReconcileProvider } from "./provider-lines.js";

export const ADMIN_KEY_VARIABLES: Record<ReconcileProvider, string> = {
  openai: "OPENAI_ADMIN_KEY",
  anthropic: "ANTHROPIC_ADMIN_KEY",
};

const DAY_MS = 86_400_000;

/** The flags as commander hands them over (strings), before validation. */
export interface RawReconcileFlags {
  provider?: string;
  since: string;
  until?: string;
  groupBy: string;
  tolerance: string;
  format: string;
  db: string;
  baseUrl?: string;
  allocate?: boolean;
  anthropicApi?: string;
}

/** Which of Anthropic's APIs reconcile reads (docs/reconcile.md): the Admin API's reports, or the Analytics API. */
export type AnthropicApi = "admin" | "analytics";

export interface ReconcileFlags {
  providers: ReconcileProvider[] | "from-keys";
  startMs: number;
  endMs: number;
  groups: Set<GroupKey>;
  tolerancePpm: number;
  format: "table" | "json" | "csv";
  db: string;
  baseUrl?: string;
  allocate: boolean;
  anthropicApi: AnthropicApi;
}

const timeBound = (flag: string) =>
  z.string().transform((value, ctx) => {
    try {
      return parseTimeBound(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `${flag}: ${(error as Error).message}` });
      return z.NEVER;
    }
  });

/** "2%", "0.5%", "2" (percent) → parts per million; 0 to 100 %, at most 4 decimals. */
const tolerance = z.string().transform((value, ctx) => {
  const m = /^\s*(\d{1,3})(?:\.(\d{1,4}))?\s*%?\s*$/.exec(value);
  const ppm = m ? Number(m[1]) * 10_000 + Number((m[2] ?? "").padEnd(4, "0")) : Number.NaN;
  if (!(ppm >= 0 && ppm <= 1_000_000)) {
    ctx.addIssue({
      code: "custom",
      message: `--tolerance: expected a percentage such as 2% or 0.5%, got "${value}"`,
    });
    return z.NEVER;
  }
  return ppm;
});

const groupBy = z.string().transform((value, ctx) => {
  const parts = value.split(",").map((p) => p.trim());
  const bad = parts.find((p) => !(GROUP_KEYS as readonly string[]).includes(p));
  if (bad !== undefined || parts.length === 0) {
    ctx.addIssue({
      code: "custom",
      message: `--group-by: expected day, model or project (comma-separated), got "${value}"`,
    });
    return z.NEVER;
  }
  return new Set(parts as GroupKey[]);
});

const baseUrl = z
  .string()
  .optional()
  .superRefine((value, ctx) => {
    if (value === undefined) return;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) {
      ctx.addIssue({ code: "custom", message: `--base-url: expected an http(s) URL without credentials` });
    }
  });

const flagsSchema = z.object({
  provider: z
    .enum(["openai", "anthropic"], { error: () => "--provider: expected openai or anthropic" })
    .optional(),
  since: timeBound("--since"),
  until: timeBound("--until").optional(),
  groupBy,
  tolerance,
  format: z.enum(["table", "json", "csv"], { error: () => "--format: expected table, json or csv" }),
  db: z.string().min(1, "--db: expected a ledger file or a postgres:// URL"),
  baseUrl,
  allocate: z.boolean().optional(),
  anthropicApi: z
    .enum(["admin", "analytics"], { error: () => "--anthropic-api: expected admin or analytics" })
    .optional(),
});

/**
 * Validates the flags. Returns the first problem as a message naming the flag, or the resolved options:
 * the window is whole UTC days (since rounded down to midnight, a given until up to midnight; without
 * --until it ends now), as the providers' daily buckets are.
 */
export function parseReconcileFlags(raw: RawReconcileFlags, now: number): ReconcileFlags | string {
  const parsed = flagsSchema.safeParse(raw);
  if (!parsed.success) return parsed.error.issues[0]!.message;
  const f = parsed.data;
  const startMs = Math.floor(f.since / DAY_MS) * DAY_MS;
  const endMs = f.until === undefined ? now : Math.ceil(f.until / DAY_MS) * DAY_MS;
  if (endMs <= startMs) return "--until: must be after --since";
  const anthropicApi = f.anthropicApi ?? "admin";
  if (anthropicApi === "analytics" && f.groupBy.has("project") && f.provider !== "openai") {
    return "--group-by project: Anthropic's Analytics API has no workspaces (use --anthropic-api admin, or --provider openai)";
  }
  return {
    providers: f.provider ? [f.provider] : "from-keys",
    startMs,
    endMs,
    groups: f.groupBy,
    tolerancePpm: f.tolerance,
    format: f.format,
    db: f.db,
    ...(f.baseUrl !== undefined ? { baseUrl: f.baseUrl } : {}),
    allocate: f.allocate === true,
    anthropicApi,
  };
}

/**
 * The admin keys to use, from the environment only. `--provider` given: its variable must be set. Omitted:
 * every provider whose variable is set; none set is an error naming both variables.
 */
export function adminKeys(
  providers: ReconcileProvider[] | "from-keys",
  env: Record<string, string | undefined>,
): { providers: ReconcileProvider[]; keys: Partial<Record<ReconcileProvider, string>> } | string {
  const value = (p: ReconcileProvider) => {
    const v = env[ADMIN_KEY_VARIABLES[p]]?.trim();
    return v ? v : undefined;
  };
  const wanted: ReconcileProvider[] =
    providers === "from-keys"
      ? (["openai", "anthropic"] as const).filter((p) => value(p) !== undefined)
      : providers;
  if (wanted.length === 0) {
    return `set OPENAI_ADMIN_KEY or ANTHROPIC_ADMIN_KEY (an admin key; see docs/reconcile.md)`;
  }
  const keys: Partial<Record<ReconcileProvider, string>> = {};
  for (const p of wanted) {
    const key = value(p);
    if (key === undefined)
      return `${ADMIN_KEY_VARIABLES[p]} is not set (an admin key is needed for --provider ${p}; see docs/reconcile.md)`;
    keys[p] = key;
  }
  return { providers: wanted, keys };
}
