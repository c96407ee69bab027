import { randomUUID } from "node:crypto";
import type { Pool, QueryResultRow } from "pg";
import { LimitExceededError } from "../../errors.js";
import { maskSecrets } from "../../ledger/location.js";
import {
  CONNECT_TIMEOUT_MS,
  isSlowAnswer,
  leasePool,
  type PoolLease,
  SLOW_ATTEMPTS_BEFORE_LOG,
} from "../../ledger/postgres/pool.js";
import { log } from "../../log.js";
import type { LimitAlert } from "../../types.js";
import { fireAlert, reached, thresholdsOf } from "../alerts.js";
import { applicableLimits } from "../applicable.js";
import { type Limit, microsToUsd } from "../definition.js";
import { DEFAULT_RESERVATION_TTL_MS } from "../engine.js";
import {
  DEFAULT_RESERVATION_MAX_AGE_MS,
  type LimitGate,
  type LimitHold,
  type ReserveRequest,
} from "../gate.js";
import { windowStart } from "../windows.js";
import { LIMIT_QUERY_TIMEOUT_MS, maskedError } from "./pool.js";
import { ensureLimitSchema } from "./schema.js";
import {
  type LimitQueryable,
  maxNanosOf,
  postgresLimitsVersion,
  readPostgresLimits,
  upsertPostgresLimits,
} from "./store.js";

/** What a limit check does when Postgres cannot be reached (docs/limits.md, "When the ledger is down"). */
export type WhenLedgerDown = "allow" | "block";

export interface PostgresLimitGateOptions {
  /** The ledger's Postgres URL (`postgres://user@host:5432/db?sslmode=…`). */
  url: string;
  /** `instrument({ limits })`: written to Postgres (source "config") and winning over stored ones by id. */
  limits?: readonly Limit[];
  onLimitAlert?: ((alert: LimitAlert) => void) | undefined;
  whenDown?: WhenLedgerDown;
  /** How long a reservation counts without being renewed (a process that dies stops renewing). */
  reservationTtlMs?: number;
  /** The longest a reservation counts, renewed or not. */
  reservationMaxAgeMs?: number;
  /** How often stored definitions are re-checked (one tiny query). */
  refreshMs?: number;
  /** The clock for windows (ms since the epoch). Expiry uses the database's clock. */
  now?: () => number;
  /** How long one attempt waits for a connection (the pool is the ledger sink's too: its first user sets it). */
  connectTimeoutMs?: number;
}

interface Entry {
  readonly limit: Limit;
  readonly windowStart: number;
}

interface Hold {
  readonly seq: number;
  readonly entries: readonly Entry[];
  /** False when the call went through without a reservation (Postgres was down, policy "allow"). */
  readonly reserved: boolean;
  readonly createdAt: number;
  done: boolean;
}

interface Settlement {
  hold: Hold;
  nanos: bigint;
  /** Called once its statement has answered (or failed): what a refused reservation waits for (#writes). */
  done: () => void;
}

/** A reservation waiting for the statement that carries it (#send). */
interface Asking {
  entries: readonly Entry[];
  seq: number;
  nanos: bigint;
  resolve: (row: ReserveRow) => void;
  reject: (error: unknown) => void;
}

interface ReserveRow {
  call_no: number;
  blocked_index: number;
  spent_nanos: string;
}

/** costtrail_apply's rows: a settled window's spend (call_no null), or a reservation's answer. */
interface ApplyRow {
  call_no: number | null;
  blocked_index: number | null;
  spent_nanos: string;
  limit_id: string | null;
  window_start_ms: string | null;
}

/** The most reservations, and the most settlements, one statement carries. */
const MAX_CALLS_PER_STATEMENT = 500;

/** A settled or released row is kept this long, so that a retried settlement finds its tombstone. */
const TOMBSTONE_MS = 3_600_000;
/** After a failed round trip, calls answer by `whenDown` without trying for this long. */
const DOWN_BACKOFF_MS = 1_000;

// The hot path's one statement (schema.ts): named, so it is parsed and planned once per connection.
const APPLY = {
  name: "costtrail_apply",
  text: `SELECT call_no, blocked_index, spent_nanos, limit_id, window_start_ms
    FROM costtrail_apply($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
};
// A renewal never waits: a row locked is being settled or swept, and needs no renewal. A lapsed row stays
// lapsed (its window no longer counts it, schema.ts).
const RENEW = {
  text: `UPDATE costtrail_limit_reservations x
  SET expires_ms = least(costtrail_now_ms() + $3::bigint, x.created_ms + $4::bigint)
  FROM (SELECT limit_id, window_start_ms, seq FROM costtrail_limit_reservations
    WHERE owner = $1 AND seq = ANY($2::bigint[]) AND settled_ms IS NULL AND expires_ms > costtrail_now_ms()
    FOR UPDATE SKIP LOCKED) l
  WHERE x.limit_id = l.limit_id AND x.window_start_ms = l.window_start_ms AND x.owner = $1 AND x.seq = l.seq`,
};
const RELEASE_OWNER = { text: "SELECT costtrail_release_owner($1)" };
const CLEANUP = {
  text: `DELETE FROM costtrail_limit_reservations x USING (SELECT limit_id, window_start_ms, owner, seq
    FROM costtrail_limit_reservations WHERE expires_ms < costtrail_now_ms() - $1::bigint FOR UPDATE SKIP LOCKED) d
  WHERE x.limit_id = d.limit_id AND x.window_start_ms = d.window_start_ms AND x.owner = d.owner AND x.seq = d.seq`,
};
const ALERT = {
  text: `INSERT INTO costtrail_limit_alerts (limit_id, window_start_ms, threshold_pct, fired_ms)
  VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1`,
};

const key = (id: string, ws: number) => `${id}\u0000${ws}`;

/**
 * The fleet-wide spending-limit gate: every process on one Postgres ledger reserves in the same tables, each
 * reservation one statement (`costtrail_apply`, src/limits/postgres/schema.ts) that locks the block limits'
 * window rows, checks settled spend + live reservations (both kept on that row) + this call against the limit
 * and inserts the reservation — so N processes together overshoot by at most their calls in flight's estimate
 * errors (docs/limits.md, "The bound"). `reserve` returns a promise (the SDK awaits it before sending), or
 * undefined at once for a call that no limit applies to. Settlements are sent off the call path, with the next
 * statement, and retried until Postgres takes them, once each. One statement is on its way at a time.
 */
export class PostgresLimitGate implements LimitGate {
  /** This process's pool for the ledger URL, shared with the ledger sink (src/ledger/postgres/pool.ts). */
  #lease: PoolLease | undefined;
  #pool: Pool | undefined;
  readonly #url: string;
  readonly #connectTimeoutMs: number;
  readonly #config: ReadonlyMap<string, Limit>;
  readonly #onLimitAlert: ((alert: LimitAlert) => void) | undefined;
  readonly #whenDown: WhenLedgerDown;
  readonly #ttlMs: number;
  readonly #maxAgeMs: number;
  readonly #refreshMs: number;
  readonly #now: () => number;
  /** Identifies this process's reservations in the shared table. */
  readonly #owner = randomUUID();
  #seq = 0;
  #byId: Map<string, Limit>;
  #scoped: Limit[];
  #version = "";
  /** Schema ready and definitions read (or given up on: config limits only). */
  #loaded = false;
  readonly #ready: Promise<void>;
  readonly #holds = new Set<Hold>();
  /** Settlements waiting for a statement (or for the next tick, after one failed). */
  #pending: Settlement[] = [];
  /** Reservations waiting for a statement. */
  #asking: Asking[] = [];
  /** A statement is on its way (or about to be sent): what arrives meanwhile goes in the next one. */
  #sending = false;
  readonly #inFlight = new Set<Promise<void>>();
  /**
   * This process's settlements and releases not answered yet (queued or on their way). A reservation refused
   * while some are unanswered waits for them and asks once more, so that a call made after another one ended is
   * never refused because that call's reservation still counted (no false block), at no cost to the calls that
   * fit.
   */
  readonly #writes = new Set<Promise<void>>();
  /** The latest settled spend seen per (limit, window), nano-USD: answers `settle`'s allow-limit flags. */
  readonly #spent = new Map<string, bigint>();
  readonly #firedAlerts = new Set<string>();
  readonly #warnedUnknown = new Set<string>();
  #downUntil = 0;
  /** The last round trip failed: calls answer by `whenDown` without trying until #downUntil. */
  #down = false;
  /** The outage was logged (once per outage). */
  #warnedDown = false;
  /** Round trips in a row that only timed out: an outage is logged once they persist (isSlowAnswer). */
  #slowAttempts = 0;
  #lastRenew = 0;
  #lastCleanup = 0;
  readonly #timer: NodeJS.Timeout;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(options: PostgresLimitGateOptions) {
    this.#url = options.url;
    this.#config = new Map((options.limits ?? []).map((l) => [l.id, l]));
    this.#onLimitAlert = options.onLimitAlert;
    this.#whenDown = options.whenDown ?? "allow";
    this.#ttlMs = options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
    this.#maxAgeMs = options.reservationMaxAgeMs ?? DEFAULT_RESERVATION_MAX_AGE_MS;
    this.#refreshMs = options.refreshMs ?? 1_000;
    this.#now = options.now ?? Date.now;
    if (!(this.#ttlMs > 0) || !(this.#maxAgeMs > 0)) throw new RangeError("reservation times must be > 0");
    this.#byId = new Map(this.#config);
    this.#scoped = [...this.#byId.values()].filter((l) => l.scope !== undefined);
    this.#connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    this.#ready = this.#start();
    const every = Math.max(
      10,
      Math.min(this.#refreshMs, Math.floor(Math.min(this.#ttlMs, this.#maxAgeMs) / 3)),
    );
    this.#timer = setInterval(() => void this.#tick(), every);
    this.#timer.unref();
  }

  /** Resolves once the schema exists and stored definitions are read (or the attempt failed and was logged). */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** The definitions in force in this process (stored ones, overridden by config ones with the same id). */
  get limits(): Limit[] {
    return [...this.#byId.values()];
  }

  reserve(request: ReserveRequest): LimitHold | undefined | Promise<LimitHold | undefined> {
    if (this.#closing) return undefined;
    if (!this.#loaded) return this.#ready.then(() => this.#reserve(request));
    return this.#reserve(request);
  }

  #reserve(request: ReserveRequest): LimitHold | undefined | Promise<LimitHold | undefined> {
    const limits = applicableLimits(this.#byId, this.#scoped, request.annotations, (id) => this.#unknown(id));
    if (limits.length === 0) return undefined;
    const now = this.#now();
    const entries = limits.map((limit) => ({ limit, windowStart: windowStart(limit.window, now) }));
    const nanos = reserveNanosOf(request);
    if (this.#down && performance.now() < this.#downUntil) return this.#answerDown(entries);
    const seq = ++this.#seq;
    const send = () => this.#ask(entries, seq, nanos);
    const ask = () =>
      send().then((row) => {
        if (row.blocked_index === 0 || this.#writes.size === 0) return row;
        return Promise.all([...this.#writes]).then(send);
      });
    return ask().then(
      (row) => {
        this.#up();
        if (row.blocked_index > 0) {
          const blocked = entries[row.blocked_index - 1]!;
          const spent = BigInt(row.spent_nanos);
          this.#spent.set(key(blocked.limit.id, blocked.windowStart), spent);
          this.#alertRefused(blocked, spent);
          throw exceeded(blocked.limit, spent);
        }
        return this.#hold(seq, entries, true);
      },
      (error: unknown) => {
        if (error instanceof LimitExceededError) throw error;
        this.#failed(error);
        return this.#answerDown(entries);
      },
    );
  }

  /** Queues one call's reservation for the next statement (#send). */
  #ask(entries: readonly Entry[], seq: number, nanos: bigint): Promise<ReserveRow> {
    return new Promise<ReserveRow>((resolve, reject) => {
      this.#asking.push({ entries, seq, nanos, resolve, reject });
      this.#kick();
    });
  }

  /**
   * One statement on its way at a time (costtrail_apply, schema.ts), carrying the settlements and the
   * reservations that arrived meanwhile: calls made at once lock and commit each window row once, not once each,
   * and a call that follows another one's end reserves and settles that one in the same round trip. A call made
   * alone is sent at once (at the end of the current turn of the event loop, so that what the same turn does
   * goes with it).
   */
  #kick(): void {
    if (this.#sending) return;
    this.#sending = true;
    queueMicrotask(() => this.#send());
  }

  #send(): void {
    const asking = this.#asking.splice(0, MAX_CALLS_PER_STATEMENT);
    // After a failure, settlements wait for the next tick (or the next reservation's statement).
    const settling =
      this.#down && asking.length === 0 ? [] : this.#pending.splice(0, MAX_CALLS_PER_STATEMENT);
    if (asking.length === 0 && settling.length === 0) {
      this.#sending = false;
      this.#closeIfIdle();
      return;
    }
    this.#track(
      this.#apply(settling, asking).finally(() => {
        this.#sending = false;
        if (this.#asking.length > 0 || (this.#pending.length > 0 && !this.#down)) this.#kick();
      }),
    );
  }

  /** Sends one statement; a failure rejects its reservations and leaves its settlements pending. */
  async #apply(settling: Settlement[], asking: Asking[]): Promise<void> {
    const s: { calls: number[]; ids: string[]; windows: string[] } = { calls: [], ids: [], windows: [] };
    const settled = new Map<string, Entry>();
    settling.forEach(({ hold }, i) => {
      for (const e of hold.entries) {
        s.calls.push(i + 1);
        s.ids.push(e.limit.id);
        s.windows.push(String(e.windowStart));
        settled.set(key(e.limit.id, e.windowStart), e);
      }
    });
    const r: { calls: number[]; ids: string[]; windows: string[]; max: string[]; block: boolean[] } = {
      calls: [],
      ids: [],
      windows: [],
      max: [],
      block: [],
    };
    asking.forEach((a, i) => {
      for (const e of a.entries) {
        r.calls.push(i + 1);
        r.ids.push(e.limit.id);
        r.windows.push(String(e.windowStart));
        r.max.push(maxNanosOf(e.limit).toString());
        r.block.push(e.limit.mode === "block");
      }
    });
    let rows: ApplyRow[];
    try {
      await this.#prepare();
      const result = await this.#query<ApplyRow>(APPLY, [
        this.#owner,
        String(this.#ttlMs),
        String(this.#maxAgeMs),
        s.calls,
        s.ids,
        s.windows,
        settling.map((x) => String(x.hold.seq)),
        settling.map((x) => x.nanos.toString()),
        r.calls,
        r.ids,
        r.windows,
        r.max,
        r.block,
        asking.map((a) => String(a.seq)),
        asking.map((a) => a.nanos.toString()),
      ]);
      rows = result.rows;
    } catch (error) {
      this.#pending.push(...settling);
      for (const settlement of settling) settlement.done();
      if (settling.length > 0) this.#failed(error);
      for (const a of asking) a.reject(error);
      return;
    }
    if (settling.length > 0) this.#up();
    for (const settlement of settling) settlement.done();
    const answered = new Map<number, ReserveRow>();
    for (const row of rows) {
      if (row.call_no !== null) {
        answered.set(row.call_no, row as ReserveRow);
        continue;
      }
      const ws = Number(row.window_start_ms);
      const spent = BigInt(row.spent_nanos);
      const entry = settled.get(key(row.limit_id!, ws));
      if (!entry) continue;
      this.#spent.set(key(entry.limit.id, ws), spent);
      for (const pct of thresholdsOf(entry.limit)) {
        if (reached(entry.limit, nanosToMicros(spent), pct))
          this.#track(this.#alert(entry, pct, spent, false));
      }
    }
    asking.forEach((a, i) => {
      const row = answered.get(i + 1);
      if (row) a.resolve(row);
      else a.reject(new Error("costtrail_apply returned no answer for a reservation"));
    });
  }

  /** Postgres cannot be reached: `limitsWhenLedgerDown` decides, said once per outage. */
  #answerDown(entries: readonly Entry[]): LimitHold {
    const block = this.#whenDown === "block" ? entries.find((e) => e.limit.mode === "block") : undefined;
    if (block) {
      // A refusal the app sees is always explained, slow store or not.
      this.#warnDown();
      throw exceeded(block.limit, this.#spent.get(key(block.limit.id, block.windowStart)) ?? 0n);
    }
    return this.#hold(++this.#seq, entries, false);
  }

  #hold(seq: number, entries: readonly Entry[], reserved: boolean): LimitHold {
    const hold: Hold = { seq, entries, reserved, createdAt: performance.now(), done: false };
    this.#holds.add(hold);
    return {
      settle: (costMicros, costNanos) => this.#settle(hold, costMicros, costNanos),
      release: () => this.#release(hold),
    };
  }

  #unknown(id: string): undefined {
    if (!this.#warnedUnknown.has(id)) {
      this.#warnedUnknown.add(id);
      log.warn(
        `limitIds names "${id}", which is not a defined limit (instrument({ limits }) or ` +
          "`costtrail limits set`); it is ignored",
      );
    }
    return undefined;
  }

  // ---- settle / release ----------------------------------------------------------------------------------

  #settle(hold: Hold, costMicros: number | null, costNanos: number | null | undefined): string[] {
    if (hold.done) return [];
    hold.done = true;
    this.#holds.delete(hold);
    const nanos = costNanosOf(costMicros, costNanos);
    // Flags from the latest spend this process knows (the exact figure arrives with the settlement's answer).
    const flagged: string[] = [];
    for (const { limit, windowStart: ws } of hold.entries) {
      const k = key(limit.id, ws);
      const spent = (this.#spent.get(k) ?? 0n) + nanos;
      this.#spent.set(k, spent);
      if (limit.mode === "allow" && spent > maxNanosOf(limit)) flagged.push(limit.id);
    }
    this.#queueSettlement(hold, nanos);
    return flagged;
  }

  #release(hold: Hold): void {
    if (hold.done) return;
    hold.done = true;
    this.#holds.delete(hold);
    if (!hold.reserved) {
      this.#closeIfIdle();
      return;
    }
    // A settlement of 0: the reservation stops counting in its windows, nothing is added.
    this.#queueSettlement(hold, 0n);
  }

  #queueSettlement(hold: Hold, nanos: bigint): void {
    let done!: () => void;
    // Waited for by refused reservations, not by close(): a settlement pending while the store is down must
    // not keep the gate open (close() gives it one last try).
    const answered = new Promise<void>((resolve) => (done = resolve));
    this.#writes.add(answered);
    void answered.then(() => this.#writes.delete(answered));
    this.#pending.push({ hold, nanos, done });
    this.#flush();
  }

  /** Sends the pending settlements (with the next statement, #send). */
  #flush(): void {
    if (this.#pending.length === 0) this.#closeIfIdle();
    else this.#kick();
  }

  // ---- alerts -----------------------------------------------------------------------------------------------

  /** Whoever inserts the alert row fires it: once per (limit, window, threshold) across the fleet. */
  async #alert(entry: Entry, pct: number, spent: bigint, refused: boolean): Promise<void> {
    const alertKey = `${key(entry.limit.id, entry.windowStart)}\u0000${pct}`;
    if (this.#firedAlerts.has(alertKey)) return;
    try {
      const result = await this.#query(ALERT, [
        entry.limit.id,
        String(entry.windowStart),
        pct,
        String(this.#now()),
      ]);
      this.#firedAlerts.add(alertKey);
      if (result.rowCount === 0) return;
    } catch (error) {
      log.errorOnce("limits-alert", "could not record a spending-limit alert", maskedError(error));
      return;
    }
    const alert: LimitAlert = {
      limitId: entry.limit.id,
      window: entry.limit.window,
      thresholdPct: pct,
      spentUsd: nanosToUsd(spent),
      maxUsd: microsToUsd(entry.limit.maxMicros),
      windowStart: new Date(entry.windowStart).toISOString(),
    };
    fireAlert(alert, this.#onLimitAlert, refused);
  }

  /** A block limit refusing its first call in a window is that limit reaching 100 %: alert once. */
  #alertRefused(entry: Entry, spent: bigint): void {
    this.#track(this.#alert(entry, 100, spent, true));
  }

  // ---- the pool ---------------------------------------------------------------------------------------------

  /** The shared pool, leased on first use (the driver is loaded then). */
  async #poolNow(): Promise<Pool> {
    if (this.#pool) return this.#pool;
    this.#lease ??= await leasePool(this.#url, this.#connectTimeoutMs);
    this.#pool = this.#lease.pool;
    return this.#pool;
  }

  /** One statement with the gate's timeout: a store slower than that counts as down for this call. */
  #query<R extends QueryResultRow = QueryResultRow>(
    statement: string | { name?: string; text: string },
    values?: unknown[],
  ) {
    const { name, text } = typeof statement === "string" ? { name: undefined, text: statement } : statement;
    const run = (pool: Pool) =>
      pool.query<R>({ name, text, values, query_timeout: LIMIT_QUERY_TIMEOUT_MS } as never);
    return this.#pool ? run(this.#pool) : this.#poolNow().then(run);
  }

  readonly #queryable: LimitQueryable = { query: (text, values) => this.#query(text, values) };

  // ---- definitions, leases, health --------------------------------------------------------------------------

  async #start(): Promise<void> {
    try {
      await this.#prepare();
      this.#up();
    } catch (error) {
      this.#failed(error);
    } finally {
      this.#loaded = true;
    }
  }

  /**
   * Schema ensured, config limits stored, definitions read: before this gate's first statement on the limit
   * tables (they may not exist yet: the attempt at start can have failed), and retried until it succeeds.
   */
  #prepare(): Promise<void> {
    if (this.#version !== "") return Promise.resolve();
    this.#preparing ??= (async () => {
      await ensureLimitSchema(await this.#poolNow());
      await upsertPostgresLimits(this.#queryable, [...this.#config.values()], "config", this.#now());
      await this.#load();
    })().finally(() => {
      this.#preparing = undefined;
    });
    return this.#preparing;
  }

  #preparing: Promise<void> | undefined;

  async #load(): Promise<void> {
    const { version, limits } = await readPostgresLimits(this.#queryable);
    const byId = new Map<string, Limit>();
    for (const stored of limits) {
      const { source: _source, updatedMs: _updated, ...limit } = stored;
      byId.set(limit.id, limit);
    }
    for (const [id, limit] of this.#config) byId.set(id, limit);
    this.#byId = byId;
    this.#scoped = [...byId.values()].filter((l) => l.scope !== undefined);
    this.#version = version;
  }

  /** Renews live reservations younger than the max age, re-reads changed definitions, retries settlements. */
  async #tick(): Promise<void> {
    if (this.#closing || !this.#loaded) return;
    const t = performance.now();
    try {
      if (this.#version === "") await this.#prepare();
      else if ((await postgresLimitsVersion(this.#queryable)) !== this.#version) await this.#load();
      this.#up();
    } catch (error) {
      this.#failed(error);
      return;
    }
    this.#flush();
    if (t - this.#lastRenew >= Math.min(this.#ttlMs, this.#maxAgeMs) / 3) {
      this.#lastRenew = t;
      const live = [...this.#holds]
        .filter((h) => h.reserved && t - h.createdAt < this.#maxAgeMs)
        .map((h) => String(h.seq));
      if (live.length > 0) {
        this.#track(
          this.#query(RENEW, [this.#owner, live, String(this.#ttlMs), String(this.#maxAgeMs)]).then(
            () => {},
            (error: unknown) => this.#failed(error),
          ),
        );
      }
    }
    if (t - this.#lastCleanup >= 60_000) {
      this.#lastCleanup = t;
      this.#track(
        this.#query(CLEANUP, [String(TOMBSTONE_MS)]).then(
          () => {},
          () => {},
        ),
      );
    }
  }

  /**
   * A round trip failed: answer by `whenDown` for a second. A definite refusal (refused, unknown host, wrong
   * password, no such database) is logged at once; a timeout only once SLOW_ATTEMPTS_BEFORE_LOG round trips in a
   * row have timed out — a server slow to accept while a fleet starts, or this process's event loop busy loading,
   * is no outage — or as soon as it makes "block" refuse a call (#answerDown).
   */
  #failed(error: unknown): void {
    const now = performance.now();
    // Round trips that were under way together time out together: one attempt, not one per call.
    const attempt = !this.#down || now >= this.#downUntil;
    this.#downUntil = now + DOWN_BACKOFF_MS;
    this.#down = true;
    if (!isSlowAnswer(error)) this.#slowAttempts = SLOW_ATTEMPTS_BEFORE_LOG;
    else if (attempt) this.#slowAttempts++;
    this.#lastError = error;
    if (this.#slowAttempts >= SLOW_ATTEMPTS_BEFORE_LOG) this.#warnDown();
  }

  #lastError: unknown;

  #warnDown(): void {
    if (this.#warnedDown) return;
    this.#warnedDown = true;
    const what =
      this.#whenDown === "allow"
        ? 'limitsWhenLedgerDown is "allow": calls go through unlimited meanwhile, and their cost is counted once it is back'
        : 'limitsWhenLedgerDown is "block": calls under a block limit are refused meanwhile';
    const slow = isSlowAnswer(this.#lastError)
      ? ` (no answer within ${this.#connectTimeoutMs / 1000} s, ${this.#slowAttempts} attempts in a row)`
      : "";
    log.error(
      `cannot reach the spending-limit store at ${maskSecrets(this.#url)}${slow}; ${what}`,
      maskedError(this.#lastError),
    );
  }

  #up(): void {
    this.#slowAttempts = 0;
    if (!this.#down) return;
    this.#down = false;
    if (!this.#warnedDown) return;
    this.#warnedDown = false;
    log.warn(`the spending-limit store at ${maskSecrets(this.#url)} is reachable again`);
  }

  #track(promise: Promise<void>): void {
    this.#inFlight.add(promise);
    void promise.finally(() => {
      this.#inFlight.delete(promise);
      this.#closeIfIdle();
    });
  }

  // ---- shutdown ---------------------------------------------------------------------------------------------

  /**
   * Stops taking reservations. Resolves once every call in flight has settled and every settlement is written
   * (or, for settlements Postgres keeps refusing, given up on after one more try), then closes the pool.
   */
  close(): Promise<void> {
    this.#closing = true;
    return this.#closedPromise();
  }

  #closeResolve: (() => void) | undefined;

  #closedPromise(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#closeResolve = resolve;
    });
    this.#closeIfIdle();
    return this.#closed;
  }

  #closeIfIdle(): void {
    if (!this.#closing || !this.#closeResolve || this.#holds.size > 0 || this.#inFlight.size > 0) return;
    const resolve = this.#closeResolve;
    this.#closeResolve = undefined;
    clearInterval(this.#timer);
    void (async () => {
      await this.#ready;
      // One last try for settlements that failed, then release whatever this process still holds.
      const last = this.#pending.splice(0);
      for (let i = 0; i < last.length; i += MAX_CALLS_PER_STATEMENT) {
        await this.#apply(last.slice(i, i + MAX_CALLS_PER_STATEMENT), []);
      }
      if (this.#pending.length > 0) {
        log.error(
          `${this.#pending.length} call cost(s) could not be counted against their spending limits: ` +
            `${maskSecrets(this.#url)} stayed unreachable until shutdown`,
        );
      }
      await this.#query(RELEASE_OWNER, [this.#owner]).catch(() => {});
      await this.#lease?.release();
      resolve();
    })();
  }
}

function exceeded(limit: Limit, spent: bigint): LimitExceededError {
  return new LimitExceededError({
    limitId: limit.id,
    spentUsd: nanosToUsd(spent),
    maxUsd: microsToUsd(limit.maxMicros),
    window: limit.window,
  });
}

function reserveNanosOf(request: ReserveRequest): bigint {
  const nanos = request.reserveNanos ?? request.reserveMicros * 1000;
  return Number.isFinite(nanos) && nanos > 0 ? BigInt(Math.round(nanos)) : 0n;
}

function costNanosOf(costMicros: number | null, costNanos: number | null | undefined): bigint {
  const nanos = costNanos ?? (costMicros === null ? 0 : costMicros * 1000);
  return Number.isFinite(nanos) && nanos > 0 ? BigInt(Math.round(nanos)) : 0n;
}

function nanosToMicros(nanos: bigint): number {
  return Number(nanos) / 1000;
}

function nanosToUsd(nanos: bigint): number {
  return Number(nanos) / 1e9;
}
