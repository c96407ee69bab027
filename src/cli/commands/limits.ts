import { existsSync } from "node:fs";
import type { Database } from "better-sqlite3";
import { type Command, Option } from "commander";
import { ConfigError, LedgerNotFoundError } from "../../errors.js";
import { isPostgresUrl, maskSecrets } from "../../ledger/location.js";
import { openLedgerReadonly } from "../../ledger/open-database.js";
import { isPostgresConnection, openLedgerReader, openLedgerWriter } from "../../ledger/reader.js";
import { LIMIT_MODES, LIMIT_WINDOWS, type Limit, parseLimit, usdToMicros } from "../../limits/definition.js";
import { ensureLimitSchemaSync, type SyncQueryable } from "../../limits/postgres/schema.js";
import {
  deletePostgresLimitSync,
  resetPostgresLimitSync,
  upsertPostgresLimitsSync,
} from "../../limits/postgres/store.js";
import type { LimitStatus } from "../../limits/status.js";
import { limitStatuses } from "../../limits/statuses.js";
import { deleteLimit, readLimit, resetLimit, upsertLimits } from "../../limits/store.js";
import { windowStart } from "../../limits/windows.js";
import { CliError, type CliIO, type CommandRegistration } from "../context.js";
import { formatUsd, renderTable } from "../format.js";
import { withLedger } from "../open-ledger.js";
import { dbOption } from "../options.js";

interface ListOptions {
  db: string;
  format: "table" | "json";
}

interface SetOptions {
  db: string;
  maxUsd: string;
  window: string;
  mode: string;
  alertAt?: string;
  user?: string;
  account?: string;
  useCase?: string;
}

/** Numbers as typed; anything else is passed on as text so the definition's validation names the field. */
function numeric(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  return /^\s*-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(value) ? Number(value) : value;
}

function describeScope(scope: LimitStatus["scope"]): string {
  if (!scope) return "-";
  const parts: string[] = [];
  if (scope.userId !== undefined) parts.push(`user=${scope.userId}`);
  if (scope.accountName !== undefined) parts.push(`account=${scope.accountName}`);
  if (scope.useCaseName !== undefined) parts.push(`use-case=${scope.useCaseName}`);
  return parts.join(" ");
}

const usd = (value: number) => formatUsd(usdToMicros(value));
const isoSeconds = (iso: string) => iso.replace(/\.\d{3}Z$/, "Z");

function renderStatuses(statuses: readonly LimitStatus[], db: string): string {
  if (statuses.length === 0)
    return `no limits in ${maskSecrets(db)} (add one with: costtrail limits set <id> …)\n`;
  return renderTable(
    [
      { header: "id", align: "left" },
      { header: "mode", align: "left" },
      { header: "window", align: "left" },
      { header: "scope", align: "left" },
      { header: "spent USD", align: "right" },
      { header: "reserved USD", align: "right" },
      { header: "remaining USD", align: "right" },
      { header: "max USD", align: "right" },
      { header: "%", align: "right" },
      { header: "state", align: "left" },
      { header: "blocked", align: "right" },
      { header: "resets", align: "left" },
      { header: "source", align: "left" },
    ],
    statuses.map((s) => [
      s.id,
      s.mode,
      s.window,
      describeScope(s.scope),
      usd(s.spentUsd),
      usd(s.reservedUsd),
      usd(s.remainingUsd),
      usd(s.maxUsd),
      s.pct.toFixed(1),
      s.state,
      String(s.blocked),
      s.resetsAt === null ? "never" : isoSeconds(s.resetsAt),
      s.source,
    ]),
  );
}

function describeLimit(limit: Limit): string {
  const alert = limit.alertAtPct !== undefined ? `, alert at ${limit.alertAtPct}%` : "";
  const scope = limit.scope
    ? `, scope ${describeScope(limit.scope)}`
    : ", applies to calls naming it in limitIds";
  const per = limit.window === "total" ? "in total" : `per ${limit.window}`;
  return `${limit.mode} at $${formatUsd(limit.maxMicros)} ${per}${alert}${scope}`;
}

/**
 * Runs `fn` on a writable connection. A missing file is created only when `create` (setting a limit before the
 * app first ran is normal); a file that is not a costtrail ledger is refused rather than migrated.
 */
function withWritableLedger<T>(path: string, create: boolean, fn: (db: Database) => T): T {
  if (isPostgresUrl(path)) return withPostgresLimits(path, create, fn);
  if (existsSync(path)) openLedgerReadonly(path).close();
  else if (!create) throw new LedgerNotFoundError(path, `no ledger at ${path}`);
  const db = openLedgerWriter(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/**
 * The same on a Postgres ledger: the fleet gate's tables (src/limits/postgres), created if need be under the
 * gate's own lock, so running apps pick a change up within a second. A database no costtrail has migrated is
 * a missing ledger unless `create`.
 */
function withPostgresLimits<T>(url: string, create: boolean, fn: (db: Database) => T): T {
  const db = create ? openLedgerWriter(url) : openLedgerReader(url);
  try {
    ensureLimitSchemaSync(pgOf(db));
    return fn(db);
  } finally {
    db.close();
  }
}

/** A Postgres ledger's connection (src/ledger/reader.ts) as the fleet gate's table functions take it. */
const pgOf = (db: Database) => db as unknown as SyncQueryable;

function requireLimit(db: Database, id: string, path: string): void {
  if (!readLimit(db, id)) {
    throw new CliError(`no limit "${id}" in ${maskSecrets(path)} (see costtrail limits list)`);
  }
}

function setLimit(io: CliIO, id: string, opts: SetOptions): void {
  const scope: Record<string, string> = {};
  if (opts.user !== undefined) scope["userId"] = opts.user;
  if (opts.account !== undefined) scope["accountName"] = opts.account;
  if (opts.useCase !== undefined) scope["useCaseName"] = opts.useCase;
  let limit: Limit;
  try {
    limit = parseLimit(
      {
        id,
        maxUsd: numeric(opts.maxUsd),
        window: opts.window,
        mode: opts.mode,
        ...(opts.alertAt !== undefined ? { alertAtPct: numeric(opts.alertAt) } : {}),
        ...(Object.keys(scope).length ? { scope } : {}),
      },
      "costtrail limits set",
    );
  } catch (error) {
    if (error instanceof ConfigError) {
      const field = flagOf[error.field] ?? error.field;
      throw new CliError(`invalid limit: ${field}: ${error.message.split(`${error.field}: `).pop()}`);
    }
    throw error;
  }
  const previous = withWritableLedger(opts.db, true, (db) => {
    const before = readLimit(db, limit.id);
    if (isPostgresConnection(db)) upsertPostgresLimitsSync(pgOf(db), [limit], "cli", Date.now());
    else upsertLimits(db, [limit], "cli", Date.now());
    return before;
  });
  io.stdout.write(`limit "${limit.id}" set: ${describeLimit(limit)}\n`);
  if (previous?.source === "config") {
    io.stdout.write(
      `note: "${limit.id}" was written by an app's instrument({ limits }); apps running with that config keep ` +
        "enforcing their own definition and write it back when they start\n",
    );
  }
}

/** Names the CLI flag rather than the definition key in errors. */
const flagOf: Record<string, string> = {
  id: "<id>",
  maxUsd: "--max-usd",
  window: "--window",
  mode: "--mode",
  alertAtPct: "--alert-at",
  "scope.userId": "--user",
  "scope.accountName": "--account",
  "scope.useCaseName": "--use-case",
};

function addList(limits: Command, io: CliIO): void {
  limits
    .command("list")
    .description("every limit: spent, reserved and remaining in its current window, and when it resets")
    .addOption(dbOption())
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .action((opts: ListOptions) => {
      const statuses = withLedger(opts.db, (db) => limitStatuses(db));
      io.stdout.write(
        opts.format === "json" ? `${JSON.stringify(statuses, null, 2)}\n` : renderStatuses(statuses, opts.db),
      );
    });
}

function addSet(limits: Command, io: CliIO): void {
  limits
    .command("set <id>")
    .description("create or replace a limit (stored in the ledger; apps pick it up within a second)")
    .addOption(new Option("--max-usd <usd>", "the most the window may spend, in USD").makeOptionMandatory())
    .addOption(
      new Option(
        "--window <window>",
        `${LIMIT_WINDOWS.join(" | ")} (UTC calendar windows)`,
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        "--mode <mode>",
        `${LIMIT_MODES.join(" | ")} (block refuses calls past the limit; allow only flags them)`,
      ).makeOptionMandatory(),
    )
    .option("--alert-at <pct>", "also alert when spend crosses this percentage (100 always alerts)")
    .option("--user <userId>", "apply to every call of this user")
    .option("--account <accountName>", "apply to every call of this account")
    .option("--use-case <useCaseName>", "apply to every call of this use case")
    .addOption(dbOption())
    .action((id: string, opts: SetOptions) => setLimit(io, id, opts));
}

function addReset(limits: Command, io: CliIO): void {
  limits
    .command("reset <id>")
    .description("start the limit's current window over: spend and alerts back to zero")
    .addOption(dbOption())
    .action((id: string, opts: { db: string }) => {
      const now = Date.now();
      const limit = withWritableLedger(opts.db, false, (db) => {
        requireLimit(db, id, opts.db);
        const limit = readLimit(db, id)!;
        if (isPostgresConnection(db)) resetPostgresLimitSync(pgOf(db), id, windowStart(limit.window, now));
        else resetLimit(db, id, now);
        return limit;
      });
      const from = isoSeconds(new Date(windowStart(limit.window, now)).toISOString());
      io.stdout.write(`limit "${id}" reset: no spend in its ${limit.window} window from ${from}\n`);
    });
}

function addDelete(limits: Command, io: CliIO): void {
  limits
    .command("delete <id>")
    .description("remove a limit with its spend history (an app that configures it writes it back at start)")
    .addOption(dbOption())
    .action((id: string, opts: { db: string }) => {
      withWritableLedger(opts.db, false, (db) => {
        requireLimit(db, id, opts.db);
        if (isPostgresConnection(db)) deletePostgresLimitSync(pgOf(db), id);
        else deleteLimit(db, id);
      });
      io.stdout.write(`limit "${id}" deleted\n`);
    });
}

export const limitsCommand: CommandRegistration = (program, io) => {
  const limits = program.command("limits").description("spending limits: list, set, reset, delete");
  addList(limits, io);
  addSet(limits, io);
  addReset(limits, io);
  addDelete(limits, io);
};
