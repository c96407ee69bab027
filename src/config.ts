import { basename, extname } from "node:path";
import { z } from "zod";
import { isEmptyScope, parseScopeAnnotations } from "./annotations/schema.js";
import { ConfigError } from "./errors.js";
import { parseKpiDefinitions } from "./kpis/definitions.js";
import { isPostgresUrl, LEDGER_ENV, maskSecrets } from "./ledger/location.js";
import { type Limit, parseLimits } from "./limits/definition.js";
import { DEFAULT_RESERVATION_MAX_AGE_MS } from "./limits/gate.js";
import type {
  InstrumentConfig,
  KpiDefinition,
  LimitAlert,
  Logger,
  ScopeAnnotations,
  Sink,
  UsageEvent,
} from "./types.js";

const isFunction = (v: unknown) => typeof v === "function";

const configSchema = z.strictObject(
  {
    globalInstrumentation: z.boolean({ error: "must be true or false" }).optional(),
    defaults: z.unknown().optional(),
    ledger: z
      .union([z.string().min(1, "must not be empty"), z.literal(false)], {
        error: 'must be a file path, a postgres:// URL, ":memory:" or false',
      })
      .superRefine((value, ctx) => {
        const problem = typeof value === "string" ? postgresUrlProblem(value) : undefined;
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    onEvent: z.custom<(event: UsageEvent) => void>(isFunction, "must be a function").optional(),
    onLimitAlert: z.custom<(alert: LimitAlert) => void>(isFunction, "must be a function").optional(),
    sinks: z
      .array(
        z.custom<Sink>(
          (v) => !!v && typeof (v as Sink).write === "function" && typeof (v as Sink).name === "string",
          "must be a sink: an object with a name and a write(batch) method",
        ),
        { error: "must be an array of sinks" },
      )
      .optional(),
    limits: z.array(z.unknown(), { error: "must be an array of limit definitions" }).optional(),
    prices: z.array(z.unknown(), { error: "must be an array of price overrides" }).optional(),
    kpis: z
      .union([z.array(z.unknown()), z.string().min(1, "must not be empty")], {
        error: "must be an array of KPI definitions or the path of a JSON file holding them",
      })
      .optional(),
    forwardHeaders: z.boolean({ error: "must be true or false" }).optional(),
    abandonedCallTimeoutMs: z
      .number({ error: "must be a number of milliseconds" })
      .int("must be a whole number of milliseconds")
      .min(1_000, "must be at least 1000 (one second)")
      .max(2 ** 31 - 1, "must be at most 2147483647 (about 24.8 days)")
      .optional(),
    limitsWhenLedgerDown: z.enum(["allow", "block"], { error: 'must be "allow" or "block"' }).optional(),
    reservationMaxAgeMs: z
      .number({ error: "must be a number of milliseconds" })
      .int("must be a whole number of milliseconds")
      .min(1_000, "must be at least 1000 (one second)")
      .max(2 ** 31 - 1, "must be at most 2147483647 (about 24.8 days)")
      .optional(),
    logger: z
      .custom<Logger>(
        (v) => !!v && isFunction((v as Logger).warn) && isFunction((v as Logger).error),
        "must have warn() and error() methods",
      )
      .optional(),
  },
  { error: "must be an object" },
);

export interface ResolvedConfig {
  globalInstrumentation: boolean;
  defaults: ScopeAnnotations;
  ledger: string | false;
  onEvent: ((event: UsageEvent) => void) | undefined;
  onLimitAlert: ((alert: LimitAlert) => void) | undefined;
  sinks: Sink[];
  /** Validated limit definitions (a bad one throws `ConfigError` naming `limits.<i>.<key>`). */
  limits: Limit[];
  prices: unknown[];
  /** Validated KPI definitions, from the config or its file (a bad one throws `ConfigError` naming `kpis.<i>.<key>`). */
  kpis: KpiDefinition[];
  forwardHeaders: boolean;
  /** How long a call may stay idle before it is finished as abandoned (src/calls/reaper.ts). */
  abandonedCallTimeoutMs: number;
  /** What a limit check does when the ledger holding the limits cannot be reached (docs/limits.md). */
  limitsWhenLedgerDown: "allow" | "block";
  /** The longest a limit reservation counts (docs/limits.md, "Reservations are leases"). */
  reservationMaxAgeMs: number;
  logger: Logger | undefined;
}

export const DEFAULT_LEDGER_PATH = ".costtrail/ledger.db";

/** Why a Postgres URL cannot be used (it does not parse, or names no host), masked; undefined when fine. */
function postgresUrlProblem(value: string): string | undefined {
  if (!isPostgresUrl(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${maskSecrets(value)} is not a valid Postgres URL (postgres://user[:password]@host[:port]/database)`;
  }
  if (url.hostname === "" && !url.searchParams.has("host")) {
    return `${maskSecrets(value)} names no host (postgres://user[:password]@host[:port]/database)`;
  }
  return undefined;
}

/** `COSTTRAIL_LEDGER` (a file path or a Postgres URL), used when `instrument({ ledger })` is not given. */
function ledgerFromEnv(): string | undefined {
  const value = process.env[LEDGER_ENV]?.trim();
  if (!value) return undefined;
  const problem = postgresUrlProblem(value);
  if (problem) throw new ConfigError(LEDGER_ENV, `costtrail: invalid ${LEDGER_ENV}: ${problem}`);
  return value;
}

/**
 * How long a call may stay idle — no response, no stream item — before it is taken as abandoned: 10 minutes,
 * the OpenAI and Anthropic SDKs' own default request timeout, so a request the SDK still waits on is never
 * reaped under default settings, while a stream nobody reads gives its limit reservation back
 * (src/calls/reaper.ts, docs/limits.md).
 */
export const DEFAULT_ABANDONED_CALL_TIMEOUT_MS = 10 * 60_000;

/**
 * A limit check that cannot reach the ledger lets the call through by default: costtrail never breaks the app's
 * call for its own outage (docs/limits.md, "When the ledger is down"); the cost is counted once it is back.
 */
export const DEFAULT_LIMITS_WHEN_LEDGER_DOWN = "allow";

/** Validates `instrument()`'s config; a bad key throws `ConfigError` (or `AnnotationError` for `defaults`). */
export function resolveConfig(input: InstrumentConfig | undefined): ResolvedConfig {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
    const field = path.map(String).join(".") || "config";
    const message = issue.code === "unrecognized_keys" ? "is not a known option" : issue.message;
    throw new ConfigError(field, `costtrail: invalid instrument() config: ${field}: ${message}`);
  }
  const c = result.data;
  return {
    globalInstrumentation: c.globalInstrumentation ?? true,
    defaults: parseScopeAnnotations(c.defaults, "instrument({ defaults })", "defaults"),
    ledger: c.ledger ?? ledgerFromEnv() ?? DEFAULT_LEDGER_PATH,
    onEvent: c.onEvent,
    onLimitAlert: c.onLimitAlert,
    sinks: c.sinks ?? [],
    limits: parseLimits(c.limits ?? []),
    prices: c.prices ?? [],
    kpis: parseKpiDefinitions(c.kpis ?? []),
    forwardHeaders: c.forwardHeaders ?? false,
    abandonedCallTimeoutMs: c.abandonedCallTimeoutMs ?? DEFAULT_ABANDONED_CALL_TIMEOUT_MS,
    limitsWhenLedgerDown: c.limitsWhenLedgerDown ?? DEFAULT_LIMITS_WHEN_LEDGER_DOWN,
    reservationMaxAgeMs: c.reservationMaxAgeMs ?? DEFAULT_RESERVATION_MAX_AGE_MS,
    logger: c.logger,
  };
}

/** The root scope: `defaults`, with the entry script's base name as the use case when none is given. */
export function rootScope(defaults: ScopeAnnotations): ScopeAnnotations {
  if (defaults.useCaseName !== undefined) return defaults;
  const entry = process.argv[1];
  const name = entry ? basename(entry, extname(entry)) : "node";
  return { ...defaults, useCaseName: name || "node" };
}

/** With `globalInstrumentation: false`: `defaults` as they are (no entry-script use case), or none when empty. */
export function defaultsLayer(defaults: ScopeAnnotations): ScopeAnnotations | undefined {
  return isEmptyScope(defaults) ? undefined : defaults;
}
