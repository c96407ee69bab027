import { randomInt } from "node:crypto";
import type { Database, Statement } from "better-sqlite3";
import { LimitExceededError } from "../errors.js";
import { registerExitHooks } from "../ledger/exit-hooks.js";
import { log } from "../log.js";
import type { Annotations, LimitAlert } from "../types.js";
import { fireAlert, reached, thresholdsOf } from "./alerts.js";
import { applicableLimits } from "./applicable.js";
import { type Limit, microsToUsd } from "./definition.js";
import {
  DEFAULT_RESERVATION_MAX_AGE_MS,
  type LimitGate,
  type LimitHold,
  type ReserveRequest,
} from "./gate.js";
import type { LimitStatus } from "./status.js";
import { limitStatuses } from "./statuses.js";
import { readLimits, upsertLimits } from "./store.js";
import { windowStart } from "./windows.js";

/** How long a reservation counts without being renewed. Live processes renew theirs every TTL / 3. */
export const DEFAULT_RESERVATION_TTL_MS = 60_000;
/** How stale the cached definitions may get before a call that matches none re-checks the ledger. */
export const DEFAULT_REFRESH_MS = 1_000;
/**
 * How long a limit check keeps retrying a ledger whose write lock another process holds before it follows
 * `limitsWhenLedgerDown` (docs/limits.md). The retries are timers, never a wait on the event loop.
 */
export const LEDGER_WAIT_MS = 5_000;
/** Settlements that could not reach the ledger are retried this often until it is back. */
const RETRY_SETTLE_MS = 100;
/** At exit, the last settlements may wait this long for the lock (the process is ending; nothing else runs). */
const EXIT_BUSY_TIMEOUT_MS = 2_000;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

export interface LimitEngineOptions {
  /** The connection holding the limit tables (migrated ledger, file or `:memory:`); the engine owns it. */
  db: Database;
  /** `instrument({ limits })`: written to the ledger (source "config") and winning over stored ones by id. */
  limits?: readonly Limit[];
  onLimitAlert?: ((alert: LimitAlert) => void) | undefined;
  /** The clock (ms since the epoch) for windows and reservation expiry. Default `Date.now`. */
  now?: () => number;
  reservationTtlMs?: number;
  /** The longest a reservation counts, renewed or not (`instrument({ reservationMaxAgeMs })`). */
  reservationMaxAgeMs?: number;
  refreshMs?: number;
  /** On exit / SIGINT / SIGTERM, release this process's reservations at once instead of letting them expire. */
  releaseOnExit?: boolean;
  /** A check that cannot reach the ledger within LEDGER_WAIT_MS: let the call through, or refuse it. Default allow. */
  whenLedgerDown?: "allow" | "block";
}

interface Entry {
  limit: Limit;
  windowStart: number;
}

interface Hold {
  seq: number;
  entries: Entry[];
  /** When it was reserved (the engine's clock): it is not renewed past the max age. */
  createdAt: number;
  settled: boolean;
}

interface SettleResult {
  exceeded: string[];
  alerts: LimitAlert[];
  alertKeys: string[];
}

type Reserved = { seq: number; entries: Entry[] } | { blocked: Limit; spent: number; windowStart: number };

const SQL = {
  version: "SELECT value FROM limit_meta WHERE key = 'version'",
  state: `SELECT
      (SELECT spent_micros FROM limit_spend WHERE limit_id = @id AND window_start_ms = @ws),
      (SELECT coalesce(sum(micros), 0) FROM limit_reservations
        WHERE limit_id = @id AND window_start_ms = @ws AND expires_ms > @now)`,
  reserve: `INSERT INTO limit_reservations (limit_id, window_start_ms, owner, seq, micros, expires_ms)
    VALUES (?, ?, ?, ?, ?, ?)`,
  release:
    "DELETE FROM limit_reservations WHERE limit_id = ? AND window_start_ms = ? AND owner = ? AND seq = ?",
  releaseOwner: "DELETE FROM limit_reservations WHERE owner = ?",
  renew: `UPDATE limit_reservations SET expires_ms = ?
    WHERE limit_id = ? AND window_start_ms = ? AND owner = ? AND seq = ?`,
  expire: "DELETE FROM limit_reservations WHERE expires_ms <= ?",
  spend: `INSERT INTO limit_spend (limit_id, window_start_ms, spent_micros) VALUES (?, ?, ?)
    ON CONFLICT (limit_id, window_start_ms) DO UPDATE SET spent_micros = spent_micros + excluded.spent_micros
    RETURNING spent_micros`,
  alert:
    "INSERT OR IGNORE INTO limit_alerts (limit_id, window_start_ms, threshold_pct, fired_ms) VALUES (?, ?, ?, ?)",
} as const;

/**
 * The spending-limit engine over the ledger's limit tables. Each limited call costs two short IMMEDIATE
 * transactions: `reserve` (check every applicable limit against spend + live reservations, insert this call's
 * reservation) and `settle` (drop it, add the real cost, record alerts). The SQLite write lock serialises them
 * across processes, which is what makes the multi-process guarantee hold. Calls that no limit applies to do
 * no SQL: definitions are cached and re-read when the ledger's `limit_meta.version` moves.
 */
export class LimitEngine implements LimitGate {
  readonly #db: Database;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #maxAgeMs: number;
  readonly #refreshMs: number;
  readonly #onLimitAlert: ((alert: LimitAlert) => void) | undefined;
  readonly #config: ReadonlyMap<string, Limit>;
  /** Identifies this engine's reservations in the shared table (random 47 bits: no coordination needed). */
  readonly #owner = randomInt(2 ** 47);
  #seq = 0;
  #byId = new Map<string, Limit>();
  #scoped: Limit[] = [];
  #version = -1;
  #checkedAt = Number.NEGATIVE_INFINITY;
  readonly #holds = new Set<Hold>();
  /** Settlements that failed (e.g. the ledger stayed locked past busy_timeout): retried by the timer. */
  #pending: { hold: Hold; cost: number }[] = [];
  /** (limit, window, threshold) alerts known to be fired, by this process or another: skips the INSERT. */
  readonly #firedAlerts = new Set<string>();
  readonly #warnedUnknown = new Set<string>();
  readonly #timer: NodeJS.Timeout;
  #unregisterExit: (() => void) | undefined;
  #closing = false;
  #closed = false;
  readonly #whenDown: "allow" | "block";
  /** A check waited LEDGER_WAIT_MS in vain: later checks try once, and follow `whenDown` at once while it lasts. */
  #ledgerDown = false;
  /** Holds given back while the ledger was unreachable: their rows are deleted once it is back. */
  #pendingReleases: Hold[] = [];
  #retryTimer: NodeJS.Timeout | undefined;
  /** What a reserve transaction settled from the pending lists (handled once it commits) and took off them. */
  #settledMeanwhile: SettleResult[] = [];
  #takenMeanwhile: { pending: { hold: Hold; cost: number }[]; releases: Hold[] } | undefined;
  /** Last spend seen per (limit, window): what a refusal under `limitsWhenLedgerDown: "block"` reports. */
  readonly #lastSpent = new Map<string, number>();
  readonly #reserveTx: (annotations: Annotations, micros: number, now: number) => Reserved;
  readonly #settleTx: (hold: Hold, cost: number, now: number) => SettleResult;
  readonly #sql: { [K in keyof typeof SQL]: Statement };

  constructor(options: LimitEngineOptions) {
    const db = options.db;
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#ttlMs = options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
    if (!(this.#ttlMs > 0)) throw new RangeError("reservationTtlMs must be > 0");
    this.#maxAgeMs = options.reservationMaxAgeMs ?? DEFAULT_RESERVATION_MAX_AGE_MS;
    if (!(this.#maxAgeMs > 0)) throw new RangeError("reservationMaxAgeMs must be > 0");
    this.#refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
    this.#onLimitAlert = options.onLimitAlert;
    this.#whenDown = options.whenLedgerDown ?? "allow";
    this.#config = new Map((options.limits ?? []).map((l) => [l.id, l]));
    this.#sql = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)])) as {
      [K in keyof typeof SQL]: Statement;
    };
    this.#sql.state.raw(true);
    this.#sql.version.pluck(true);
    this.#sql.spend.pluck(true);
    this.#reserveTx = db.transaction((a: Annotations, micros: number, now: number) => {
      // Settlements a busy ledger held back go first: a sequential caller's previous call is counted as what it
      // cost, not as its worst-case reservation, when the next one is checked (docs/limits.md).
      if (this.#pending.length > 0 || this.#pendingReleases.length > 0) {
        const taken = { pending: this.#pending, releases: this.#pendingReleases };
        this.#settledMeanwhile = this.#retryPendingIn(now);
        this.#takenMeanwhile = taken;
      }
      return this.#reserveIn(a, micros, now);
    }).immediate as never;
    this.#settleTx = db.transaction((hold: Hold, cost: number, now: number) =>
      this.#settleIn(hold, cost, now),
    ).immediate as never;

    upsertLimits(db, [...this.#config.values()], "config", this.#now());
    this.#load(this.#sql.version.get() as number);
    this.#checkedAt = performance.now();
    // From here on no statement waits for another process's lock on this thread: a busy ledger answers
    // SQLITE_BUSY at once, and the engine retries on timers (docs/limits.md, "When the ledger is locked").
    db.pragma("busy_timeout = 0");

    const lease = Math.min(this.#ttlMs, this.#maxAgeMs);
    this.#timer = setInterval(() => this.#tick(), Math.max(10, Math.floor(lease / 3)));
    this.#timer.unref();
    if (options.releaseOnExit) {
      this.#unregisterExit = registerExitHooks({ drain: () => {}, finalReport: () => this.#releaseAll() });
    }
  }

  /** The definitions in force in this process (stored ones, overridden by config ones with the same id). */
  get limits(): Limit[] {
    return [...this.#byId.values()];
  }

  /** Where every stored limit stands (`limitStatuses` over this engine's database: also for `:memory:`). */
  statuses(now: number = this.#now()): LimitStatus[] {
    return this.#closed ? [] : limitStatuses(this.#db, now);
  }

  reserve(request: ReserveRequest): LimitHold | undefined | Promise<LimitHold | undefined> {
    if (this.#closing) return undefined;
    this.#refreshIfStale(false);
    if (this.#applicable(request.annotations).length === 0) return undefined;
    const micros = Math.max(0, Math.round(request.reserveMicros)) || 0;
    const now = this.#now();
    let result: Reserved;
    try {
      result = this.#reserveNow(request.annotations, micros, now);
    } catch (error) {
      // Known down (a wait already ran out, or not a lock at all): no call waits again until it answers.
      if (!isBusy(error) || this.#ledgerDown) return this.#whenLedgerDown(request.annotations, now, error);
      // Another connection holds the write lock: retry on timers, so the app's event loop never waits on it.
      return this.#reserveLater(request.annotations, micros, now + LEDGER_WAIT_MS);
    }
    this.#ledgerDown = false;
    return this.#admit(result, now);
  }

  /** The reserve transaction; pending settlements it applied are handled after it commits, or pending again. */
  #reserveNow(annotations: Annotations, micros: number, now: number): Reserved {
    try {
      const result = this.#reserveTx(annotations, micros, now);
      const settled = this.#settledMeanwhile;
      this.#settledMeanwhile = [];
      this.#takenMeanwhile = undefined;
      for (const r of settled) this.#afterSettle(r);
      return result;
    } catch (error) {
      const taken = this.#takenMeanwhile;
      if (taken) {
        // Rolled back after taking them: they are pending again.
        this.#pending = taken.pending.concat(this.#pending);
        this.#pendingReleases = taken.releases.concat(this.#pendingReleases);
      }
      this.#settledMeanwhile = [];
      this.#takenMeanwhile = undefined;
      throw error;
    }
  }

  #admit(result: Reserved, now: number): LimitHold {
    if ("blocked" in result) {
      const { blocked, spent } = result;
      this.#alertBlocked(blocked, spent, result.windowStart, now);
      throw new LimitExceededError({
        limitId: blocked.id,
        spentUsd: microsToUsd(spent),
        maxUsd: microsToUsd(blocked.maxMicros),
        window: blocked.window,
      });
    }
    return this.#holdFor({ seq: result.seq, entries: result.entries, createdAt: now, settled: false });
  }

  #holdFor(hold: Hold): LimitHold {
    this.#holds.add(hold);
    return {
      settle: (costMicros) => this.#settle(hold, costMicros),
      release: () => this.#release(hold),
    };
  }

  async #reserveLater(
    annotations: Annotations,
    micros: number,
    deadline: number,
  ): Promise<LimitHold | undefined> {
    let delay = 1;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10);
      if (this.#closed) return undefined;
      const now = this.#now();
      let result: Reserved;
      try {
        result = this.#reserveNow(annotations, micros, now);
      } catch (error) {
        if (!isBusy(error) || this.#ledgerDown) return this.#whenLedgerDown(annotations, now, error);
        if (now >= deadline) {
          this.#ledgerDown = true;
          return this.#whenLedgerDown(annotations, now, error);
        }
        continue;
      }
      this.#ledgerDown = false;
      return this.#admit(result, now);
    }
  }

  /**
   * The ledger could not be reached in time. "allow": the call goes on under a hold that exists only in this
   * process, and its cost is added to the spend once the ledger is back (settle retries). "block": a call under
   * a block limit is refused, reporting the spend last seen.
   */
  #whenLedgerDown(annotations: Annotations, now: number, error: unknown): LimitHold | undefined {
    const limits = this.#applicable(annotations);
    if (limits.length === 0) return undefined;
    const entries = limits.map((limit) => ({ limit, windowStart: windowStart(limit.window, now) }));
    log.errorOnce(
      "limits-ledger-down",
      `could not reach the ledger for a spending-limit check; following limitsWhenLedgerDown: "${this.#whenDown}"`,
      error,
    );
    if (this.#whenDown === "block") {
      const blocked = entries.find((e) => e.limit.mode === "block");
      if (blocked) {
        throw new LimitExceededError({
          limitId: blocked.limit.id,
          spentUsd: microsToUsd(this.#lastSpent.get(`${blocked.limit.id}\u0000${blocked.windowStart}`) ?? 0),
          maxUsd: microsToUsd(blocked.limit.maxMicros),
          window: blocked.limit.window,
        });
      }
    }
    return this.#holdFor({ seq: ++this.#seq, entries, createdAt: this.#now(), settled: false });
  }

  /**
   * Stops taking reservations. The connection closes once every call in flight has settled (so their
   * reservations turn into spend instead of lingering until they expire).
   */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#closeIfIdle();
  }

  // ---- inside the reserve transaction ---------------------------------------------------------------

  #reserveIn(annotations: Annotations, micros: number, now: number): Reserved {
    // Under the write lock: make sure the definitions are the current ones (one tiny read).
    const version = this.#sql.version.get() as number;
    if (version !== this.#version) this.#load(version);
    const limits = this.#applicable(annotations);
    const entries: Entry[] = [];
    for (const limit of limits) {
      const ws = windowStart(limit.window, now);
      const [spent, reserved] = this.#sql.state.get({ id: limit.id, ws, now }) as [number | null, number];
      this.#lastSpent.set(`${limit.id}\u0000${ws}`, spent ?? 0);
      if (limit.mode === "block" && (spent ?? 0) + reserved + micros > limit.maxMicros) {
        return { blocked: limit, spent: spent ?? 0, windowStart: ws };
      }
      entries.push({ limit, windowStart: ws });
    }
    const seq = ++this.#seq;
    const expires = now + Math.min(this.#ttlMs, this.#maxAgeMs);
    for (const e of entries)
      this.#sql.reserve.run(e.limit.id, e.windowStart, this.#owner, seq, micros, expires);
    return { seq, entries };
  }

  // ---- settle ------------------------------------------------------------------------------------------

  #settle(hold: Hold, costMicros: number | null): string[] {
    if (hold.settled) return [];
    hold.settled = true;
    this.#holds.delete(hold);
    const cost = costMicros !== null && costMicros > 0 ? Math.round(costMicros) : 0;
    let result: SettleResult;
    try {
      result = this.#settleTx(hold, cost, this.#now());
    } catch (error) {
      this.#pending.push({ hold, cost });
      if (!isBusy(error)) {
        log.errorOnce(
          "limits-settle",
          "could not record a call's cost against its spending limits; retrying in the background",
          error,
        );
      }
      this.#armRetry();
      this.#closeIfIdle();
      return [];
    }
    this.#afterSettle(result);
    this.#closeIfIdle();
    return result.exceeded;
  }

  /** The reservation is given back, nothing added to the spend; a hold settled or released already is left. */
  #release(hold: Hold): void {
    if (hold.settled) return;
    hold.settled = true;
    this.#holds.delete(hold);
    try {
      this.#db
        .transaction(() => {
          for (const { limit, windowStart: ws } of hold.entries)
            this.#sql.release.run(limit.id, ws, this.#owner, hold.seq);
        })
        .immediate();
    } catch (error) {
      // Retried in the background; not renewed any more meanwhile, so it lapses after its TTL at the latest.
      this.#pendingReleases.push(hold);
      this.#armRetry();
      if (!isBusy(error)) {
        log.errorOnce("limits-release", "could not release a spending-limit reservation; retrying", error);
      }
    }
    this.#closeIfIdle();
  }

  /** The reservation becomes the real cost (in the window the call started in); alerts are recorded. */
  #settleIn(hold: Hold, cost: number, now: number): SettleResult {
    const result: SettleResult = { exceeded: [], alerts: [], alertKeys: [] };
    for (const { limit, windowStart: ws } of hold.entries) {
      this.#sql.release.run(limit.id, ws, this.#owner, hold.seq);
      const spent = this.#sql.spend.get(limit.id, ws, cost) as number;
      if (limit.mode === "allow" && spent > limit.maxMicros) result.exceeded.push(limit.id);
      for (const pct of thresholdsOf(limit)) {
        if (reached(limit, spent, pct)) this.#recordAlert(limit, ws, pct, spent, now, result);
      }
    }
    return result;
  }

  #recordAlert(limit: Limit, ws: number, pct: number, spent: number, now: number, into: SettleResult): void {
    const key = `${limit.id}\u0000${ws}\u0000${pct}`;
    if (this.#firedAlerts.has(key)) return;
    into.alertKeys.push(key);
    // Whoever inserts the row fires the alert: once per window across every process on the ledger.
    if (this.#sql.alert.run(limit.id, ws, pct, now).changes === 0) return;
    into.alerts.push({
      limitId: limit.id,
      window: limit.window,
      thresholdPct: pct,
      spentUsd: microsToUsd(spent),
      maxUsd: microsToUsd(limit.maxMicros),
      windowStart: new Date(ws).toISOString(),
    });
  }

  #afterSettle(result: SettleResult, refused = false): void {
    for (const key of result.alertKeys) this.#firedAlerts.add(key);
    for (const alert of result.alerts) fireAlert(alert, this.#onLimitAlert, refused);
  }

  /** A block limit refusing its first call in a window is that limit reaching 100 %: alert once. */
  #alertBlocked(limit: Limit, spent: number, ws: number, now: number): void {
    const key = `${limit.id}\u0000${ws}\u0000100`;
    if (this.#firedAlerts.has(key)) return;
    try {
      const result: SettleResult = { exceeded: [], alerts: [], alertKeys: [] };
      this.#db.transaction(() => this.#recordAlert(limit, ws, 100, spent, now, result)).immediate();
      this.#afterSettle(result, true);
    } catch (error) {
      // Another process holds the ledger (statements never wait here, see the constructor): the alert is not
      // marked fired, so the next refused call in this window records it.
      if (isBusy(error)) return;
      log.errorOnce("limits-alert", "could not record a spending-limit alert", error);
    }
  }

  // ---- definitions -------------------------------------------------------------------------------------

  /** Limits that apply to a call (src/limits/applicable.ts). */
  #applicable(annotations: Annotations): readonly Limit[] {
    return applicableLimits(this.#byId, this.#scoped, annotations, this.#unknown);
  }

  /** An id no loaded limit has: maybe defined a moment ago (CLI, another process), so one tiny read first. */
  readonly #unknown = (id: string): Limit | undefined => {
    this.#refreshIfStale(true);
    const limit = this.#byId.get(id);
    if (!limit && !this.#warnedUnknown.has(id)) {
      this.#warnedUnknown.add(id);
      log.warn(
        `limitIds names "${id}", which is not a defined limit (instrument({ limits }) or ` +
          "`costtrail limits set`); it is ignored",
      );
    }
    return limit;
  };

  #refreshIfStale(force: boolean): void {
    const t = performance.now();
    if (!force && t - this.#checkedAt < this.#refreshMs) return;
    this.#checkedAt = t;
    try {
      const version = this.#sql.version.get() as number;
      if (version !== this.#version) this.#load(version);
    } catch (error) {
      log.errorOnce("limits-refresh", "could not re-read spending limits from the ledger", error);
    }
  }

  /** Stored definitions, with this process's config ones winning by id. */
  #load(version: number): void {
    const byId = new Map<string, Limit>();
    for (const stored of readLimits(this.#db)) {
      const { source: _source, updatedMs: _updated, ...limit } = stored;
      byId.set(limit.id, limit);
    }
    for (const [id, limit] of this.#config) byId.set(id, limit);
    this.#byId = byId;
    this.#scoped = [...byId.values()].filter((l) => l.scope !== undefined);
    this.#version = version;
  }

  // ---- leases, retries, shutdown -----------------------------------------------------------------------

  /** Renews this process's live reservations, drops expired ones (any process's), retries failed settles. */
  #tick(): void {
    if (this.#closed) return;
    const now = this.#now();
    let results: SettleResult[] = [];
    try {
      results = this.#db
        .transaction(() => {
          for (const hold of this.#holds) {
            // Past its max age a reservation is no longer renewed: it lapses, whatever its call does.
            const expires = Math.min(now + this.#ttlMs, hold.createdAt + this.#maxAgeMs);
            if (expires <= now) continue;
            for (const e of hold.entries)
              this.#sql.renew.run(expires, e.limit.id, e.windowStart, this.#owner, hold.seq);
          }
          this.#sql.expire.run(now);
          return this.#retryPendingIn(now);
        })
        .immediate();
    } catch (error) {
      if (!isBusy(error)) log.errorOnce("limits-renew", "could not renew spending-limit reservations", error);
      this.#armRetry();
      return;
    }
    for (const r of results) this.#afterSettle(r);
  }

  /** Settlements and releases the ledger could not take: retried on a short timer until it is back. */
  #armRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#closed || (this.#pending.length === 0 && this.#pendingReleases.length === 0)) return;
      let results: SettleResult[] = [];
      try {
        results = this.#db.transaction(() => this.#retryPendingIn(this.#now())).immediate();
      } catch {
        this.#armRetry();
        return;
      }
      this.#ledgerDown = false;
      for (const r of results) this.#afterSettle(r);
    }, RETRY_SETTLE_MS);
    this.#retryTimer.unref();
  }

  /** Inside a transaction: the pending settlements and releases. If it rolls back they are pending again. */
  #retryPendingIn(now: number): SettleResult[] {
    const pending = this.#pending;
    const releases = this.#pendingReleases;
    this.#pending = [];
    this.#pendingReleases = [];
    try {
      for (const hold of releases) {
        for (const { limit, windowStart: ws } of hold.entries)
          this.#sql.release.run(limit.id, ws, this.#owner, hold.seq);
      }
      return pending.map(({ hold, cost }) => this.#settleIn(hold, cost, now));
    } catch (error) {
      this.#pending = pending.concat(this.#pending);
      this.#pendingReleases = releases.concat(this.#pendingReleases);
      throw error;
    }
  }

  #closeIfIdle(): void {
    if (!this.#closing || this.#closed || this.#holds.size > 0) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#unregisterExit?.();
    this.#unregisterExit = undefined;
    this.#releaseAll();
    try {
      this.#db.close();
    } catch {
      // Nothing left to release.
    }
  }

  /** Process exit (or close): settle what can be, and release this process's reservations at once. */
  #releaseAll(): void {
    try {
      // Exit or close: nothing runs after this on the thread, so the last settlements may wait for the lock.
      this.#db.pragma(`busy_timeout = ${EXIT_BUSY_TIMEOUT_MS}`);
      const now = this.#now();
      const results = this.#db
        .transaction(() => {
          const settled = this.#retryPendingIn(now);
          this.#sql.releaseOwner.run(this.#owner);
          return settled;
        })
        .immediate();
      for (const r of results) this.#afterSettle(r);
    } catch {
      // Exit paths never throw; unreleased reservations expire after the TTL.
    }
  }
}
