// A Postgres that is slow to accept connections (a fleet starting at once on a loaded server) is not an outage:
// the ledger sink and the limit gate retry quietly, and say nothing. One that never answers is one clear,
// masked error from each. A TCP relay in front of the machine's PostgreSQL holds connections back.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresLedgerSink } from "../../src/ledger/postgres/sink.js";
import { parseLimits } from "../../src/limits/definition.js";
import { PostgresLimitGate } from "../../src/limits/postgres/gate.js";
import { log } from "../../src/log.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { type RecordingLogger, recordingLogger, records, tempDir } from "../ledger/helpers.js";
import { freshDatabase, query } from "./pg-helpers.js";

/** Relays to 127.0.0.1:5432; the first `held` connections are accepted but not relayed for `holdMs` (or ever). */
class SlowRelay {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;
  held = 0;
  holdMs = Number.POSITIVE_INFINITY;
  accepted = 0;

  async up(): Promise<void> {
    const server = createServer((client) => {
      this.#sockets.add(client);
      client.on("close", () => this.#sockets.delete(client));
      client.on("error", () => {});
      client.pause();
      const relay = () => {
        if (client.destroyed) return;
        const upstream = createConnection({ host: "127.0.0.1", port: 5432 });
        this.#sockets.add(upstream);
        upstream.on("close", () => this.#sockets.delete(upstream));
        upstream.on("error", () => {});
        client.pipe(upstream).pipe(client);
        client.resume();
      };
      if (this.accepted++ < this.held) {
        if (Number.isFinite(this.holdMs)) setTimeout(relay, this.holdMs);
      } else relay();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

const db = freshDatabase("slow");
const dir = tempDir("costtrail-fleet-slow-");
const relays: SlowRelay[] = [];
let said: RecordingLogger;
beforeAll(() => {
  said = recordingLogger();
  log.use(said);
});
afterEach(() => {
  said.warnings.length = 0;
  said.errors.length = 0;
});
afterAll(async () => {
  log.use(undefined);
  await Promise.all(relays.map((r) => r.down()));
});

async function relayed(held: number, holdMs: number): Promise<{ relay: SlowRelay; url: string }> {
  const relay = new SlowRelay();
  relay.held = held;
  relay.holdMs = holdMs;
  await relay.up();
  relays.push(relay);
  const u = new URL(db.url());
  u.port = String(relay.port);
  u.password = "Hidden-Pa55";
  return { relay, url: u.toString() };
}

const CONNECT_TIMEOUT_MS = 400;
const limits = parseLimits([{ id: "slow", maxUsd: 1, window: "day", mode: "block" }]);
const request = {
  annotations: { limitIds: ["slow"] },
  provider: "openai",
  requestModel: "m",
  reserveMicros: 5,
};

describe("a Postgres slow to accept connections", () => {
  it("while the first connections time out, sink and gate say nothing; events and spend arrive once", async () => {
    // Two attempts each time out (held 3 × the timeout), then the server answers.
    const { relay, url } = await relayed(2, CONNECT_TIMEOUT_MS * 3);
    const logger = recordingLogger();
    const sink = new PostgresLedgerSink(url, {
      logger,
      installExitHooks: false,
      spoolRoot: join(dir, "spool-slow"),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    const gate = new PostgresLimitGate({ url, limits, connectTimeoutMs: CONNECT_TIMEOUT_MS });
    sink.write(records(Array.from({ length: 30 }, (_, i) => makeEvent(`slow-${i}`))));
    await gate.ready;
    const hold = await gate.reserve(request);
    expect(hold).toBeDefined();
    hold!.settle(7, 7_000);
    // The first drain may have gone to the spool while the server was slow; flush replays it.
    await sink.flush();
    await gate.close();
    await sink.shutdown();

    expect(relay.accepted).toBeGreaterThan(2);
    expect([...logger.warnings, ...said.warnings, ...said.errors]).toEqual([]);
    const [events] = await query<{ n: string }>(
      db.url(),
      "SELECT count(*) AS n FROM events WHERE id LIKE 'slow-%'",
    );
    expect(events!.n).toBe("30");
    expect(sink.stats()).toMatchObject({ dropped: 0, rejected: 0 });
    expect(sink.spool.hasRecords()).toBe(false);
    const spent = await query<{ s: string }>(
      db.url(),
      "SELECT spent_nanos::text AS s FROM costtrail_limit_windows WHERE limit_id = 'slow'",
    );
    // Counted once, whether it was reserved or let through while the store was slow ("allow").
    expect(spent).toEqual([{ s: "7000" }]);
  }, 60_000);

  it("a server that never answers: one clear error from each, password masked; the events wait in the spool", async () => {
    const { url } = await relayed(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    const logger = recordingLogger();
    const sink = new PostgresLedgerSink(url, {
      logger,
      installExitHooks: false,
      spoolRoot: join(dir, "spool-never"),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    const gate = new PostgresLimitGate({ url, limits, connectTimeoutMs: CONNECT_TIMEOUT_MS });
    sink.write(records([makeEvent("never-1")]));
    await gate.ready;
    // Calls keep going through ("allow") while the gate retries; each round trip times out.
    for (let i = 0; i < 4; i++) {
      const hold = await gate.reserve(request);
      hold?.release();
      await new Promise((r) => setTimeout(r, 1_100));
    }
    for (let i = 0; i < 3; i++) await sink.flush();
    await sink.shutdown();
    await gate.close();

    const masked = url.replace("Hidden-Pa55", "***");
    expect(logger.warnings.filter((w) => w.includes("cannot write ledger"))).toEqual([
      expect.stringContaining(`cannot write ledger ${masked} (no answer within 0.4 s, 3 attempts in a row:`),
    ]);
    expect(said.errors.filter((e) => e.includes("cannot reach"))).toEqual([
      expect.stringContaining(
        `cannot reach the spending-limit store at ${masked} (no answer within 0.4 s, 3 attempts in a row)`,
      ),
    ]);
    expect([...logger.warnings, ...said.warnings, ...said.errors].join("\n")).not.toContain("Hidden-Pa55");
    expect(sink.stats()).toMatchObject({ written: 0, spooled: 1, dropped: 0 });
  }, 60_000);
});
