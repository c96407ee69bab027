import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/ledger/open-database.js";
import { MIGRATIONS, migrate } from "../../src/ledger/schema.js";
import { LimitEngine, parseLimits } from "../../src/limits/index.js";
import { cli, sync, tempDir } from "./helpers.js";

const dir = tempDir("costtrail-limits-cli-");
let n = 0;
const freshPath = () => join(dir, `cli-${n++}.db`);

describe("costtrail limits", () => {
  it("set creates the ledger and the limit; list shows it as table and json", async () => {
    const db = freshPath();
    const set = await cli(
      "limits",
      "set",
      "docs",
      "--max-usd",
      "50",
      "--window",
      "month",
      "--mode",
      "block",
      "--alert-at",
      "80",
      "--user",
      "alice",
      "--account",
      "acme",
      "--use-case",
      "docs",
      "--db",
      db,
    );
    expect(set).toEqual({
      code: 0,
      out: 'limit "docs" set: block at $50.000000 per month, alert at 80%, scope user=alice account=acme use-case=docs\n',
      err: "",
    });
    const json = await cli("limits", "list", "--db", db, "--format", "json");
    expect(JSON.parse(json.out)).toEqual([
      expect.objectContaining({
        id: "docs",
        maxUsd: 50,
        window: "month",
        mode: "block",
        alertAtPct: 80,
        scope: { userId: "alice", accountName: "acme", useCaseName: "docs" },
        spentUsd: 0,
        reservedUsd: 0,
        remainingUsd: 50,
        pct: 0,
        state: "ok",
        source: "cli",
        resetsAt: expect.stringMatching(/-01T00:00:00\.000Z$/),
      }),
    ]);
    const table = (await cli("limits", "list", "--db", db)).out.split("\n");
    expect(table[0]).toMatch(
      /^id\s+mode\s+window\s+scope\s+spent USD\s+reserved USD\s+remaining USD\s+max USD\s+%\s+state\s+blocked\s+resets\s+source$/,
    );
    expect(table[1]).toMatch(
      /^docs\s+block\s+month\s+user=alice account=acme use-case=docs\s+0\.000000\s+0\.000000\s+50\.000000\s+50\.000000\s+0\.0\s+ok\s+0\s+\d{4}-\d\d-01T00:00:00Z\s+cli$/,
    );
  });

  it("set replaces a limit; reset clears the current window's spend; delete removes it", async () => {
    const db = freshPath();
    await cli("limits", "set", "d", "--max-usd", "1", "--window", "day", "--mode", "allow", "--db", db);
    await cli("limits", "set", "d", "--max-usd", "0.002", "--window", "total", "--mode", "allow", "--db", db);
    const engine = new LimitEngine({ db: openDatabase(db) });
    sync(
      engine.reserve({
        annotations: { limitIds: ["d"] },
        provider: "p",
        requestModel: "m",
        reserveMicros: 0,
      }),
    )!.settle(3_000);
    engine.close();
    const listed = JSON.parse((await cli("limits", "list", "--db", db, "--format", "json")).out);
    expect(listed[0]).toMatchObject({
      maxUsd: 0.002,
      window: "total",
      spentUsd: 0.003,
      pct: 150,
      state: "exceeded",
      remainingUsd: 0,
      resetsAt: null,
    });
    expect((await cli("limits", "list", "--db", db)).out).toMatch(/never\s+cli\n$/);

    expect(await cli("limits", "reset", "d", "--db", db)).toEqual({
      code: 0,
      out: 'limit "d" reset: no spend in its total window from 1970-01-01T00:00:00Z\n',
      err: "",
    });
    expect(JSON.parse((await cli("limits", "list", "--db", db, "--format", "json")).out)[0].spentUsd).toBe(0);

    expect(await cli("limits", "delete", "d", "--db", db)).toEqual({
      code: 0,
      out: 'limit "d" deleted\n',
      err: "",
    });
    expect((await cli("limits", "list", "--db", db)).out).toBe(
      `no limits in ${db} (add one with: costtrail limits set <id> …)\n`,
    );
    expect(JSON.parse((await cli("limits", "list", "--db", db, "--format", "json")).out)).toEqual([]);
  });

  it("says when a CLI set overrides a definition that an app's config wrote", async () => {
    const db = freshPath();
    new LimitEngine({
      db: openDatabase(db),
      limits: parseLimits([{ id: "cfg", maxUsd: 5, window: "day", mode: "block" }]),
    }).close();
    const r = await cli(
      "limits",
      "set",
      "cfg",
      "--max-usd",
      "1",
      "--window",
      "day",
      "--mode",
      "block",
      "--db",
      db,
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('note: "cfg" was written by an app\'s instrument({ limits })');
  });

  it("errors are one line with exit 2: missing ledger, unknown id, a file that is not a ledger", async () => {
    const missing = join(dir, "missing.db");
    for (const argv of [["list"], ["reset", "x"], ["delete", "x"]]) {
      const r = await cli("limits", ...argv, "--db", missing);
      expect(r).toEqual({ code: 2, out: "", err: `costtrail: no ledger at ${missing} (use --db <path>)\n` });
    }
    const db = freshPath();
    await cli("limits", "set", "a", "--max-usd", "1", "--window", "day", "--mode", "block", "--db", db);
    expect(await cli("limits", "reset", "nope", "--db", db)).toEqual({
      code: 2,
      out: "",
      err: `costtrail: no limit "nope" in ${db} (see costtrail limits list)\n`,
    });
    const notLedger = join(dir, "notes.txt");
    writeFileSync(notLedger, "hello");
    const r = await cli(
      "limits",
      "set",
      "a",
      "--max-usd",
      "1",
      "--window",
      "day",
      "--mode",
      "block",
      "--db",
      notLedger,
    );
    expect(r.code).toBe(2);
    expect(r.err.split("\n")).toHaveLength(2);
    expect(r.err).toContain(notLedger);
    expect((await cli("limits", "list", "--format", "xml", "--db", db)).code).toBe(2);
  });

  it("list works on a ledger from before limits existed (schema 1, read-only): no limits", async () => {
    const path = freshPath();
    const raw = new Database(path);
    migrate(raw, MIGRATIONS.slice(0, 1));
    raw.close();
    expect(await cli("limits", "list", "--db", path, "--format", "json")).toEqual({
      code: 0,
      out: "[]\n",
      err: "",
    });
  });
});
