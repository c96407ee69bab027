// limitsWhenLedgerDown on the fleet gate, with Postgres really going away and coming back: a TCP relay in front
// of the machine's PostgreSQL is cut and restored.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LimitExceededError } from "../../../src/errors.js";
import { parseLimits } from "../../../src/limits/definition.js";
import { PostgresLimitGate } from "../../../src/limits/postgres/gate.js";
import { createTestDatabase, eventually, type TestDatabase } from "./database.js";

/** A relay to 127.0.0.1:5432 that can be cut (every connection dropped, nothing accepted) and restored. */
class Relay {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: "127.0.0.1", port: 5432 });
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server = undefined;
  }
}

let db: TestDatabase;
const relay = new Relay();
beforeAll(async () => {
  db = await createTestDatabase();
  await relay.up();
});
afterAll(async () => {
  await relay.down();
  await db.drop();
});

const req = (id: string, nanos: number) => ({
  annotations: { limitIds: [id] },
  provider: "openai",
  requestModel: "m",
  reserveMicros: nanos / 1000,
  reserveNanos: nanos,
});

async function spent(id: string): Promise<bigint> {
  const rows = await db.query(
    "SELECT coalesce(sum(spent_nanos), 0)::text AS s FROM costtrail_limit_windows WHERE limit_id = $1",
    [id],
  );
  return BigInt(rows[0].s);
}

describe("Postgres goes away while calls are made", () => {
  it('"allow": calls go through, and their cost is counted once it is back; "block": refused meanwhile', async () => {
    const url = db.url.replace(":5432/", `:${relay.port}/`);
    const limits = parseLimits([{ id: "o", maxUsd: 1, window: "day", mode: "block" }]);
    const allow = new PostgresLimitGate({ url, limits, whenDown: "allow" });
    const block = new PostgresLimitGate({ url, limits, whenDown: "block" });
    await Promise.all([allow.ready, block.ready]);
    const before = await allow.reserve(req("o", 5_000));
    before!.settle(1, 1_000);
    await eventually(async () => (await spent("o")) === 1_000n);

    await relay.down();
    const during = await allow.reserve(req("o", 5_000));
    expect(during).toBeDefined();
    during!.settle(2, 2_000);
    await expect(Promise.resolve().then(() => block.reserve(req("o", 5_000)))).rejects.toBeInstanceOf(
      LimitExceededError,
    );

    await relay.up();
    // Settled while Postgres was away: added once it is back, once.
    await eventually(async () => (await spent("o")) === 3_000n, 20_000);
    const after = await block.reserve(req("o", 5_000));
    expect(after).toBeDefined();
    after!.release();
    await Promise.all([allow.close(), block.close()]);
    expect(await spent("o")).toBe(3_000n);
  }, 60_000);
});
