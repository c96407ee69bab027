// Limits on real SDK calls against the mock provider: block, allow, alerts, scopes, settlement.
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createHeaders,
  type LimitAlert,
  type LimitDefinition,
  LimitExceededError,
  trackContext,
} from "../../src/index.js";
import { limitStatuses } from "../../src/limits/index.js";
import { getRuntime } from "../../src/runtime.js";
import { createHarness, type Harness } from "../support/harness.js";
import { cli, limit, MICROS_PER_TOKEN, MODEL, PRICES, recordingLogger, tempDir } from "./helpers.js";

let h: Harness;
const dir = tempDir("costtrail-limits-");
let n = 0;
const freshLedger = () => join(dir, `calls-${n++}.db`);

beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

const MAX_TOKENS = 100;

/** Async, so that a block (thrown by create() before it sends anything) arrives as a rejection. */
async function ask(headers?: Record<string, string>, extra: Record<string, unknown> = {}) {
  return h.openai().chat.completions.create(
    {
      model: MODEL,
      messages: [{ role: "user", content: "Summarise the quarterly budget in one line." }],
      max_tokens: MAX_TOKENS,
      ...extra,
    },
    headers ? { headers } : undefined,
  );
}

function start(ledger: string | false, limits: LimitDefinition[], more: Record<string, unknown> = {}) {
  return h.start({ ledger, limits, prices: PRICES, logger: recordingLogger(), ...more });
}

/** Records the worst case (micro-USD) each call asks the gate to reserve. */
function spyReservations(): number[] {
  const seen: number[] = [];
  const gate = getRuntime()!.limits!;
  const reserve = gate.reserve.bind(gate);
  gate.reserve = (request) => {
    seen.push(request.reserveMicros);
    return reserve(request);
  };
  return seen;
}

function statusesOf(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return limitStatuses(db);
  } finally {
    db.close();
  }
}

describe("a block limit at $0.01", () => {
  it("stops the call that would cross it before any network I/O, with the numbers, and list shows spent ≤ max", async () => {
    const ledger = freshLedger();
    const handle = start(ledger, [limit({ id: "tiny", maxUsd: 0.01, window: "day", mode: "block" })]);
    const reserved = spyReservations();
    const headers = createHeaders({ limitIds: ["tiny"] });
    let blocked: LimitExceededError | undefined;
    let ok = 0;
    for (let i = 0; i < 100 && !blocked; i++) {
      const before = h.mock.requests.length;
      try {
        await ask(headers);
        ok++;
        expect(h.mock.requests.length).toBe(before + 1);
      } catch (error) {
        blocked = error as LimitExceededError;
        // The mock received nothing for the blocked call.
        expect(h.mock.requests.length).toBe(before);
      }
    }
    expect(blocked).toBeInstanceOf(LimitExceededError);
    expect(ok).toBeGreaterThan(1);
    expect(h.mock.requests).toHaveLength(ok);

    const events = await h.eventsSettled(ok + 1);
    const spent = events.filter((e) => e.status === "ok").reduce((a, e) => a + e.costMicros!, 0);
    expect(spent).toBe(
      h.mock.requests.reduce(
        (a, r) => a + MICROS_PER_TOKEN * (r.usage!.inputTokens + r.usage!.outputTokens),
        0,
      ),
    );
    expect(blocked).toMatchObject({
      limitId: "tiny",
      maxUsd: 0.01,
      window: "day",
      name: "LimitExceededError",
    });
    expect(blocked!.spentUsd).toBeCloseTo(spent / 1e6, 9);
    // It is the call that would cross: what was spent plus its worst case (estimated input + max_tokens of
    // output) is past max, while every earlier call fitted.
    expect(reserved).toHaveLength(ok + 1);
    expect(reserved[0]).toBeGreaterThan(MAX_TOKENS * MICROS_PER_TOKEN);
    expect(spent + reserved.at(-1)!).toBeGreaterThan(10_000);
    let before = 0;
    for (const [i, e] of events.slice(0, ok).entries()) {
      expect(before + reserved[i]!).toBeLessThanOrEqual(10_000);
      before += e.costMicros!;
    }
    expect(spent).toBeLessThanOrEqual(10_000);

    const last = events.at(-1)!;
    expect(last).toMatchObject({ status: "blocked", limitsExceeded: ["tiny"], attempts: 0, costMicros: 0 });
    expect(last.errorType).toBe("LimitExceededError");

    await handle.flush();
    const listed = await cli("limits", "list", "--db", ledger, "--format", "json");
    expect(listed.code).toBe(0);
    const [row] = JSON.parse(listed.out);
    expect(row).toMatchObject({ id: "tiny", source: "config", reservedUsd: 0, maxUsd: 0.01 });
    expect(row.spentUsd).toBeLessThanOrEqual(row.maxUsd);
    expect(row.spentUsd).toBeCloseTo(spent / 1e6, 9);
    const table = await cli("limits", "list", "--db", ledger);
    expect(table.out).toMatch(/tiny\s+block\s+day/);

    // The blocked event is in the ledger too.
    const db = new Database(ledger, { readonly: true });
    expect(db.prepare("SELECT count(*) FROM events WHERE status = 'blocked'").pluck().get()).toBe(1);
    db.close();
  });

  it("keeps blocking until the window has room again (a later, cheaper call still fits)", async () => {
    const handle = start(false, [limit({ id: "cap", maxUsd: 0.002, mode: "block" })]);
    const headers = createHeaders({ limitIds: ["cap"] });
    await ask(headers); // ~0.0004 spent, 0.0011 reserved per call: fits
    await expect(ask(headers, { max_tokens: 5_000 })).rejects.toBeInstanceOf(LimitExceededError);
    await expect(ask(headers, { max_tokens: 5 })).resolves.toBeDefined();
    await handle.shutdown();
  });
});

describe("allow limits", () => {
  it("let calls through and list the id in limitsExceeded once spend is past max", async () => {
    start(false, [limit({ id: "soft", maxUsd: 0.001, mode: "allow" })]);
    const headers = createHeaders({ limitIds: ["soft"] });
    for (let i = 0; i < 6; i++) await ask(headers);
    expect(h.mock.requests).toHaveLength(6);
    const events = await h.eventsSettled(6);
    let spent = 0;
    for (const e of events) {
      spent += e.costMicros!;
      expect(e.status).toBe("ok");
      expect(e.limitsExceeded).toEqual(spent > 1_000 ? ["soft"] : []);
    }
    expect(spent).toBeGreaterThan(1_000);
  });

  it("a call can be under one block limit and past an allow limit at once", async () => {
    start(false, [
      limit({ id: "hard", maxUsd: 1, mode: "block" }),
      limit({ id: "soft", maxUsd: 0.0001, mode: "allow" }),
    ]);
    await ask(createHeaders({ limitIds: ["hard", "soft"] }));
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ status: "ok", limitsExceeded: ["soft"] });
  });
});

describe("alerts", () => {
  it("fire onLimitAlert at alertAtPct and at 100 %, once per window, with a warning", async () => {
    const alerts: LimitAlert[] = [];
    const logger = recordingLogger();
    start(false, [limit({ id: "budget", maxUsd: 0.002, mode: "allow", alertAtPct: 80 })], {
      onLimitAlert: (a: LimitAlert) => alerts.push(a),
      logger,
    });
    const headers = createHeaders({ limitIds: ["budget"] });
    let spent = 0;
    const seen: { spent: number; alerts: number[] }[] = [];
    for (let i = 0; i < 12; i++) {
      await ask(headers);
      const [event] = (await h.eventsSettled(i + 1)).slice(-1);
      spent += event!.costMicros!;
      seen.push({ spent, alerts: alerts.map((a) => a.thresholdPct) });
    }
    expect(alerts.map((a) => a.thresholdPct)).toEqual([80, 100]);
    // Each fired on the call that crossed its threshold, not before, not again.
    const first80 = seen.findIndex((s) => s.spent >= 1_600);
    const first100 = seen.findIndex((s) => s.spent >= 2_000);
    expect(seen[first80]!.alerts).toContain(80);
    if (first80 > 0) expect(seen[first80 - 1]!.alerts).toEqual([]);
    expect(seen[first100]!.alerts).toEqual([80, 100]);
    expect(alerts[0]).toMatchObject({ limitId: "budget", window: "day", thresholdPct: 80, maxUsd: 0.002 });
    expect(alerts[0]!.spentUsd).toBeGreaterThanOrEqual(0.0016);
    expect(alerts[0]!.windowStart).toMatch(/T00:00:00\.000Z$/);
    expect(logger.warnings.filter((w) => w.includes('limit "budget"'))).toHaveLength(2);
  });

  it("a block limit alerts at 100 % when it first refuses a call; a throwing callback changes nothing", async () => {
    const alerts: LimitAlert[] = [];
    start(false, [limit({ id: "b", maxUsd: 0.0005, mode: "block" })], {
      onLimitAlert: (a: LimitAlert) => {
        alerts.push(a);
        throw new Error("user callback broke");
      },
    });
    const headers = createHeaders({ limitIds: ["b"] });
    await expect(ask(headers, { max_tokens: 100 })).rejects.toBeInstanceOf(LimitExceededError);
    await expect(ask(headers, { max_tokens: 100 })).rejects.toBeInstanceOf(LimitExceededError);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ limitId: "b", thresholdPct: 100, spentUsd: 0 });
  });
});

describe("scoped limits", () => {
  it("apply to every call of their user / account / use case, without naming them", async () => {
    start(false, [
      limit({ id: "alice", maxUsd: 0.0001, scope: { userId: "alice" } }),
      limit({ id: "acme-support", maxUsd: 0.0001, scope: { accountName: "acme", useCaseName: "support" } }),
    ]);
    // Alice is blocked; Bob is not.
    await expect(trackContext({ userId: "alice" }, () => ask())).rejects.toMatchObject({ limitId: "alice" });
    await expect(trackContext({ userId: "bob" }, () => ask())).resolves.toBeDefined();
    // Both keys must match.
    await expect(
      trackContext({ accountName: "acme", useCaseName: "support" }, () => ask()),
    ).rejects.toMatchObject({ limitId: "acme-support" });
    await expect(
      trackContext({ accountName: "acme", useCaseName: "billing" }, () => ask()),
    ).resolves.toBeDefined();
    await expect(
      trackContext({ accountName: "other", useCaseName: "support" }, () => ask()),
    ).resolves.toBeDefined();
    // Headers count as scope too.
    await expect(ask(createHeaders({ userId: "alice" }))).rejects.toMatchObject({ limitId: "alice" });
    expect(h.mock.requests).toHaveLength(3);
  });

  it("calls outside every scope and naming no limit do no limit work at all", async () => {
    start(false, [limit({ id: "alice", maxUsd: 0.0001, scope: { userId: "alice" } })]);
    const gate = getRuntime()!.limits!;
    const spy = { reserved: 0 };
    const reserve = gate.reserve.bind(gate);
    gate.reserve = (req) => {
      const hold = reserve(req);
      if (hold) spy.reserved++;
      return hold;
    };
    await trackContext({ userId: "bob" }, () => ask());
    expect(spy.reserved).toBe(0);
  });
});

describe("settlement", () => {
  it("a failed call releases its reservation and adds nothing", async () => {
    const ledger = freshLedger();
    start(ledger, [limit({ id: "l", maxUsd: 1 })]);
    h.mock.enqueueFault({ status: 500 });
    await expect(ask(createHeaders({ limitIds: ["l"] }))).rejects.toMatchObject({ status: 500 });
    const [status] = statusesOf(ledger);
    expect(status).toMatchObject({ id: "l", spentUsd: 0, reservedUsd: 0 });
  });

  it("a stream settles to its reported usage when it ends; an abandoned one is released on shutdown", async () => {
    const ledger = freshLedger();
    const handle = start(ledger, [limit({ id: "l", maxUsd: 1 })]);
    const headers = createHeaders({ limitIds: ["l"] });
    const stream = await ask(headers, { stream: true });
    expect(statusesOf(ledger)[0]!.reservedUsd).toBeGreaterThan(0);
    for await (const _ of stream as unknown as AsyncIterable<unknown>) {
      // drain
    }
    const [event] = await h.eventsSettled(1);
    expect(statusesOf(ledger)[0]).toMatchObject({ reservedUsd: 0, spentUsd: event!.costMicros! / 1e6 });

    await ask(headers, { stream: true }); // never iterated
    expect(statusesOf(ledger)[0]!.reservedUsd).toBeGreaterThan(0);
    await handle.shutdown();
    expect(statusesOf(ledger)[0]!.reservedUsd).toBe(0);
  });

  it("an unknown limit id is ignored with one warning", async () => {
    const logger = recordingLogger();
    start(false, [limit({ id: "known" })], { logger });
    await ask(createHeaders({ limitIds: ["nope"] }));
    await ask(createHeaders({ limitIds: ["nope"] }));
    expect(h.mock.requests).toHaveLength(2);
    expect(logger.warnings.filter((w) => w.includes('"nope"'))).toHaveLength(1);
  });

  it("an engine failure never breaks the call: it goes through unreserved, logged once", async () => {
    const logger = recordingLogger();
    start(false, [limit({ id: "l", maxUsd: 0 })], { logger });
    getRuntime()!.limits!.reserve = () => {
      throw new Error("disk on fire");
    };
    await expect(ask(createHeaders({ limitIds: ["l"] }))).resolves.toBeDefined();
    expect(logger.errors.some((e) => e.includes("limits-reserve"))).toBe(true);
  });
});

describe("instrument() wiring", () => {
  it("installs no gate without limits, and one when the ledger file stores some", async () => {
    const ledger = freshLedger();
    start(ledger, []);
    expect(getRuntime()!.limits).toBeUndefined();
    await h.stop();
    expect(
      (
        await cli(
          "limits",
          "set",
          "cli-1",
          "--max-usd",
          "0.0001",
          "--window",
          "month",
          "--mode",
          "block",
          "--db",
          ledger,
        )
      ).code,
    ).toBe(0);
    start(ledger, []);
    expect(getRuntime()!.limits).toBeDefined();
    await expect(ask(createHeaders({ limitIds: ["cli-1"] }))).rejects.toMatchObject({
      limitId: "cli-1",
      window: "month",
    });
  });

  it("config limits are written to the ledger (source config) and win over a stored one with the same id", async () => {
    const ledger = freshLedger();
    await cli(
      "limits",
      "set",
      "shared",
      "--max-usd",
      "0.00001",
      "--window",
      "day",
      "--mode",
      "block",
      "--db",
      ledger,
    );
    start(ledger, [limit({ id: "shared", maxUsd: 5, window: "week", mode: "block" })]);
    await expect(ask(createHeaders({ limitIds: ["shared"] }))).resolves.toBeDefined();
    const [row] = statusesOf(ledger);
    expect(row).toMatchObject({ id: "shared", maxUsd: 5, window: "week", source: "config" });
  });

  it("picks up a limit set with the CLI while running", async () => {
    const ledger = freshLedger();
    start(ledger, [limit({ id: "existing", maxUsd: 1 })]);
    await ask(createHeaders({ limitIds: ["late"] })); // unknown so far: passes
    await cli(
      "limits",
      "set",
      "late",
      "--max-usd",
      "0",
      "--window",
      "day",
      "--mode",
      "block",
      "--db",
      ledger,
    );
    await expect(ask(createHeaders({ limitIds: ["late"] }))).rejects.toMatchObject({ limitId: "late" });
    // A scoped one applies to calls that name nothing, within the refresh interval (1 s).
    await cli(
      "limits",
      "set",
      "u",
      "--max-usd",
      "0",
      "--window",
      "day",
      "--mode",
      "block",
      "--user",
      "u9",
      "--db",
      ledger,
    );
    await new Promise((r) => setTimeout(r, 1_100));
    await expect(trackContext({ userId: "u9" }, () => ask())).rejects.toMatchObject({ limitId: "u" });
  });

  it("a bad definition makes instrument() throw ConfigError naming the field", () => {
    expect(() => h.start({ limits: [{ id: "x", maxUsd: -1, window: "day", mode: "block" }] })).toThrow(
      expect.objectContaining({ name: "ConfigError", field: "limits.0.maxUsd" }),
    );
  });
});
