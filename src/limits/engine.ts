import { randomInt } from "node:crypto";
import type { Database, Statement } from "better-sqlite3";
import { LimitExceededError } from "../errors.js";
import { registerExitHooks } from "../ledger/exit-hooks.js";
import { log } from "../log.js";
import type { Annotations, LimitAlert } from "../types.js";
import { fireAlert, reached, thresholdsOf } from "./alerts.js";
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

const NONE: readonly Limit[] = [];
const SCOPE_KEYS = ["userId", "accountName", "useCaseName"] as const;

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

function inScope(limit: Limit, annotations: Annotations): boolean {
  const scope = limit.scope!;
  for (const key of SCOPE_KEYS) {
    const want = scope[key];
    if (want !== undefined && annotations[key] !== want) return false;
  }
  return true;
}

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
    this.#config = new Map((options.limits ?? []).map((l) => [l.id, l]));
    this.#sql = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)])) as {
      [K in keyof typeof SQL]: Statement;
    };
    this.#sql.state.raw(true);
    this.#sql.version.pluck(true);
    this.#sql.spend.pluck(true);
    this.#reserveTx = db.transaction((a: Annotations, micros: number, now: number) =>
      this.#reserveIn(a, micros, now),
    ).immediate as never;
    this.#settleTx = db.transaction((hold: Hold, cost: number, now: number) =>
      this.#settleIn(hold, cost, now),
    ).immediate as never;

    upsertLimits(db, [...this.#config.values()], "config", this.#now());
    this.#load(this.#sql.version.get() as number);
    this.#checkedAt = performance.now();

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

  reserve(request: ReserveRequest): LimitHold | undefined {
    if (this.#closing) return undefined;
    this.#refreshIfStale(false);
    if (this.#applicable(request.annotations).length === 0) return undefined;
    const micros = Math.max(0, Math.round(request.reserveMicros)) || 0;
    const now = this.#now();
    const result = this.#reserveTx(request.annotations, micros, now);
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
    const hold: Hold = { seq: result.seq, entries: result.entries, createdAt: now, settled: false };
    this.#holds.add(hold);
    return {
      settle: (costMicros) => this.#settle(hold, costMicros),
      release: () => this.#release(hold),
    };
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
      log.errorOnce(
        "limits-settle",
        "could not record a call's cost against its spending limits; retrying in the background",
        error,
      );
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
      // Not renewed any more: the reservation lapses after the TTL instead.
      log.errorOnce(
        "limits-release",
        "could not release a spending-limit reservation; it lapses after its TTL",
        error,
      );
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
      log.errorOnce("limits-alert", "could not record a spending-limit alert", error);
    }
  }

  // ---- definitions -------------------------------------------------------------------------------------

  /** Limits that apply to a call: those named in `limitIds`, then scoped ones whose every key matches. */
  #applicable(annotations: Annotations): readonly Limit[] {
    // Allocated only when something applies: the common unlimited call allocates nothing.
    let out: Limit[] | undefined;
    const add = (limit: Limit) => {
      if (!out) out = [limit];
      else if (!out.includes(limit)) out.push(limit);
    };
    const ids = annotations.limitIds;
    if (ids) {
      for (const id of ids) {
        let limit = this.#byId.get(id);
        if (!limit) {
          // Maybe defined a moment ago (CLI, another process): one tiny read to check before ignoring it.
          this.#refreshIfStale(true);
          limit = this.#byId.get(id);
          if (!limit && !this.#warnedUnknown.has(id)) {
            this.#warnedUnknown.add(id);
            log.warn(
              `limitIds names "${id}", which is not a defined limit (instrument({ limits }) or ` +
                "`costtrail limits set`); it is ignored",
            );
          }
        }
        if (limit) add(limit);
      }
    }
    for (const limit of this.#scoped) {
      if (inScope(limit, annotations)) add(limit);
    }
    return out ?? NONE;
  }

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
      log.errorOnce("limits-renew", "could not renew spending-limit reservations", error);
      return;
    }
    for (const r of results) this.#afterSettle(r);
  }

  #retryPendingIn(now: number): SettleResult[] {
    const pending = this.#pending;
    this.#pending = [];
    return pending.map(({ hold, cost }) => this.#settleIn(hold, cost, now));
  }

  #closeIfIdle(): void {
    if (!this.#closing || this.#closed || this.#holds.size > 0) return;
    this.#closed = true;
    clearInterval(this.#timer);
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
