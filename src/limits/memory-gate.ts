import { LimitExceededError } from "../errors.js";
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
import { windowEnd, windowStart } from "./windows.js";

export interface MemoryLimitGateOptions {
  /** `instrument({ limits })`, validated. */
  limits: readonly Limit[];
  onLimitAlert?: ((alert: LimitAlert) => void) | undefined;
  /** The clock (ms since the epoch) for windows. Default `Date.now`. */
  now?: () => number;
  /** The longest a reservation counts (`instrument({ reservationMaxAgeMs })`). */
  reservationMaxAgeMs?: number;
}

/** One limit's spend and live reservations in one window (integer micro-USD). */
interface WindowState {
  readonly start: number;
  spent: number;
  reserved: number;
  /** Thresholds (percent) already alerted in this window. */
  readonly alerted: Set<number>;
  /** Holds still counting against this window. */
  holds: number;
}

interface LimitState {
  readonly limit: Limit;
  /** `thresholdsOf(limit)`, once. */
  readonly thresholds: readonly number[];
  /** The window `now` falls in, cached until it ends (no Date arithmetic per call). */
  current: WindowState | undefined;
  currentEnd: number;
  /** Older windows still holding reservations of calls in flight; dropped once those end. */
  older: WindowState[];
}

const NONE: readonly LimitState[] = [];

/**
 * The spending-limit gate of a process with no shared ledger file (`ledger: false` or `":memory:"`): nobody else
 * can see its limits, so it keeps spend and reservations in memory and answers every reservation synchronously,
 * with no I/O — the same decisions, alerts and errors as the SQLite engine (engine.ts), which a shared ledger file
 * needs for its cross-process guarantee (docs/limits.md "In process"). Its reservations are this process's own
 * calls in flight: they end when the call settles or releases, or lapse at their max age (swept by one unref'd
 * timer; the hot path only adds the hold to a set and removes it).
 */
export class MemoryLimitGate implements LimitGate {
  readonly #now: () => number;
  readonly #onLimitAlert: ((alert: LimitAlert) => void) | undefined;
  readonly #byId = new Map<string, LimitState>();
  readonly #limits = new Map<string, Limit>();
  #scopedLimits: Limit[] = [];
  readonly #warnedUnknown = new Set<string>();
  #closed = false;
  readonly #maxAgeMs: number;
  /** Holds not yet settled nor released, for the max-age sweep. */
  readonly #open = new Set<MemoryHold>();
  readonly #timer: NodeJS.Timeout;
  /** Alerts a threshold the first time a window reaches it (handed to holds, which settle on their own). */
  readonly #alertOnce = (limit: Limit, w: WindowState, pct: number) => {
    if (!w.alerted.has(pct)) this.#alert(limit, w, pct, false);
  };

  constructor(options: MemoryLimitGateOptions) {
    this.#now = options.now ?? Date.now;
    this.#onLimitAlert = options.onLimitAlert;
    for (const limit of options.limits) {
      this.#limits.set(limit.id, limit);
      this.#byId.set(limit.id, {
        limit,
        thresholds: thresholdsOf(limit),
        current: undefined,
        currentEnd: -1,
        older: [],
      });
    }
    this.#scopedLimits = [...this.#limits.values()].filter((l) => l.scope !== undefined);
    this.#maxAgeMs = options.reservationMaxAgeMs ?? DEFAULT_RESERVATION_MAX_AGE_MS;
    if (!(this.#maxAgeMs > 0)) throw new RangeError("reservationMaxAgeMs must be > 0");
    this.#timer = setInterval(() => this.#sweep(), Math.max(10, Math.floor(this.#maxAgeMs / 4)));
    this.#timer.unref();
  }

  /** Reservations past their max age stop counting; their calls' costs are still spent when they end. */
  #sweep(): void {
    const oldest = this.#now() - this.#maxAgeMs;
    for (const hold of this.#open) if (hold.createdAt <= oldest) hold.lapse();
  }

  /** The definitions in force. */
  get limits(): Limit[] {
    return [...this.#limits.values()];
  }

  reserve(request: ReserveRequest): LimitHold | undefined {
    if (this.#closed) return undefined;
    const applicable = this.#applicable(request.annotations);
    if (applicable.length === 0) return undefined;
    const micros = Math.max(0, Math.round(request.reserveMicros)) || 0;
    const now = this.#now();
    const windows: WindowState[] = [];
    for (const state of applicable) {
      const w = this.#windowOf(state, now);
      const { limit } = state;
      if (limit.mode === "block" && w.spent + w.reserved + micros > limit.maxMicros) {
        this.#alertBlocked(limit, w);
        throw new LimitExceededError({
          limitId: limit.id,
          spentUsd: microsToUsd(w.spent),
          maxUsd: microsToUsd(limit.maxMicros),
          window: limit.window,
        });
      }
      windows.push(w);
    }
    for (const w of windows) {
      w.reserved += micros;
      w.holds++;
    }
    return new MemoryHold(this.#alertOnce, applicable, windows, micros, now, this.#open);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }

  /** The limits that apply to a call (applicable.ts, as the SQLite engine decides), with their state. */
  #applicable(annotations: Annotations): readonly LimitState[] {
    const limits = applicableLimits(this.#limits, this.#scopedLimits, annotations, this.#unknown);
    if (limits.length === 0) return NONE;
    return limits.map((limit) => this.#byId.get(limit.id)!);
  }

  readonly #unknown = (id: string): undefined => {
    if (this.#warnedUnknown.has(id)) return;
    this.#warnedUnknown.add(id);
    log.warn(
      `limitIds names "${id}", which is not a defined limit (instrument({ limits }) or ` +
        "`costtrail limits set`); it is ignored",
    );
  };

  #windowOf(state: LimitState, now: number): WindowState {
    const current = state.current;
    if (current && now < state.currentEnd && now >= current.start) return current;
    const start = windowStart(state.limit.window, now);
    if (current?.start === start) return current;
    if (current && current.holds > 0) state.older.push(current);
    const found = state.older.findIndex((w) => w.start === start);
    const next = found >= 0 ? state.older.splice(found, 1)[0]! : newWindow(start);
    state.current = next;
    state.currentEnd = windowEnd(state.limit.window, now) ?? Number.POSITIVE_INFINITY;
    return next;
  }

  /** A block limit refusing its first call in a window is that limit reaching 100 %: alert once. */
  #alertBlocked(limit: Limit, w: WindowState): void {
    if (!w.alerted.has(100)) this.#alert(limit, w, 100, true);
  }

  #alert(limit: Limit, w: WindowState, pct: number, refused: boolean): void {
    w.alerted.add(pct);
    fireAlert(
      {
        limitId: limit.id,
        window: limit.window,
        thresholdPct: pct,
        spentUsd: microsToUsd(w.spent),
        maxUsd: microsToUsd(limit.maxMicros),
        windowStart: new Date(w.start).toISOString(),
      },
      this.#onLimitAlert,
      refused,
    );
  }
}

type AlertOnce = (limit: Limit, w: WindowState, pct: number) => void;

/** One call's reservation: settled with its cost or released, once. */
class MemoryHold implements LimitHold {
  #open = true;
  #lapsed = false;
  constructor(
    private readonly alertOnce: AlertOnce,
    private readonly states: readonly LimitState[],
    private readonly windows: readonly WindowState[],
    private readonly micros: number,
    readonly createdAt: number,
    private readonly openHolds: Set<MemoryHold>,
  ) {
    openHolds.add(this);
  }

  /** Past its max age: the reservation stops counting (the hold stays open for its call's cost). */
  lapse(): void {
    if (!this.#open || this.#lapsed) return;
    this.#lapsed = true;
    this.openHolds.delete(this);
    for (const w of this.windows) w.reserved -= this.micros;
  }

  settle(costMicros: number | null): string[] {
    if (!this.#open) return [];
    this.#open = false;
    const cost = costMicros !== null && costMicros > 0 ? Math.round(costMicros) : 0;
    return this.#end(cost);
  }

  release(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#end(undefined);
  }

  /** The reservation ends; with `cost`, that cost is spent. Returns the allow limits now exceeded. */
  #end(cost: number | undefined): string[] {
    this.openHolds.delete(this);
    let exceeded: string[] | undefined;
    for (let i = 0; i < this.windows.length; i++) {
      const w = this.windows[i]!;
      const state = this.states[i]!;
      const { limit } = state;
      if (!this.#lapsed) w.reserved -= this.micros;
      w.holds--;
      if (cost !== undefined) {
        w.spent += cost;
        if (limit.mode === "allow" && w.spent > limit.maxMicros) {
          exceeded ??= [];
          exceeded.push(limit.id);
        }
        for (const pct of state.thresholds) if (reached(limit, w.spent, pct)) this.alertOnce(limit, w, pct);
      }
      if (w.holds === 0 && w !== state.current) {
        // An older window whose last call in flight just ended: nothing will count against it again.
        const at = state.older.indexOf(w);
        if (at >= 0) state.older.splice(at, 1);
      }
    }
    return exceeded ?? [];
  }
}

function newWindow(start: number): WindowState {
  return { start, spent: 0, reserved: 0, alerted: new Set(), holds: 0 };
}
