import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SPOOL_DIR_ENV } from "../../src/ledger/postgres/sink.js";
import { recordingLogger, tempDir } from "../ledger/helpers.js";
import { createHarness, type Harness } from "../support/harness.js";
import { freshDatabase, PASSWORD_ROLE, query, throwawayServer } from "./pg-helpers.js";

// Its own server: the machine's trusts every role, this one asks PASSWORD_ROLE for its password.
const pgServer = throwawayServer();
const db = freshDatabase("conn", pgServer.server);
const dir = tempDir("costtrail-fleet-conn-");
let h: Harness;
const savedSpool = process.env[SPOOL_DIR_ENV];
beforeAll(async () => {
  h = await createHarness();
  process.env[SPOOL_DIR_ENV] = dir;
});
afterAll(async () => {
  await h.mock.close();
  if (savedSpool === undefined) delete process.env[SPOOL_DIR_ENV];
  else process.env[SPOOL_DIR_ENV] = savedSpool;
});

const withPassword = (password: string) => {
  const u = new URL(db.url());
  u.username = PASSWORD_ROLE.user;
  u.password = password;
  return u.toString();
};

/** One real OpenAI call through an app instrumented with `ledger`; what the logger was told. */
async function callWith(ledger: string) {
  const logger = recordingLogger();
  h.start({ ledger, logger });
  const reply = await h
    .openai()
    .chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
  await h.stop();
  return { reply, said: [...logger.warnings, ...logger.errors].join("\n") };
}

describe("a ledger that cannot be used: one clear message naming it, password masked; the call succeeds", () => {
  it("wrong password", async () => {
    const { reply, said } = await callWith(withPassword("wrong-Secret-9"));
    expect(reply.choices[0]!.message.content).toBeTruthy();
    expect(said).toContain(`cannot write ledger postgres://${PASSWORD_ROLE.user}:***@127.0.0.1:`);
    expect(said).toMatch(/password authentication failed/);
    expect(said).not.toContain("wrong-Secret-9");
  });

  it("unreachable host", async () => {
    const { reply, said } = await callWith("postgres://app:hunter2-Secret@127.0.0.1:1/costs");
    expect(reply.choices[0]!.message.content).toBeTruthy();
    expect(said).toMatch(
      /cannot write ledger postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/costs \(.*ECONNREFUSED/,
    );
    // The limit gate (same pool, same URL) says so too, at once: a refusal is no slow start.
    expect(said).toMatch(
      /cannot reach the spending-limit store at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/costs;/,
    );
    expect(said).not.toContain("hunter2-Secret");
  });

  it("a database that does not exist", async () => {
    const { reply, said } = await callWith(`${pgServer.server()}/no_such_db_here`);
    expect(reply.choices[0]!.message.content).toBeTruthy();
    expect(said).toMatch(
      /cannot write ledger postgres:\/\/postgres@127\.0\.0\.1:\d+\/no_such_db_here \(.*does not exist/,
    );
  });

  it("the right password (from the URL, or from PGPASSWORD) writes the events", async () => {
    expect((await callWith(withPassword(PASSWORD_ROLE.password))).said).toBe("");
    process.env.PGPASSWORD = PASSWORD_ROLE.password;
    try {
      const u = new URL(withPassword(""));
      expect((await callWith(u.toString())).said).toBe("");
    } finally {
      delete process.env.PGPASSWORD;
    }
    const [row] = await query<{ n: string }>(db.url(), "SELECT count(*) AS n FROM events");
    // The wrong-password call's event waited in the spool; the next process of this ledger replayed it.
    expect(row!.n).toBe("3");
  });
});
