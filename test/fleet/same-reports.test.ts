import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { instanceDetail, periodTotals, spendOverTime } from "../../src/ledger/dashboard-queries.js";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { PostgresLedgerSink } from "../../src/ledger/postgres/sink.js";
import { openLedgerReader } from "../../src/ledger/reader.js";
import { LIMIT_SCHEMA_VERSION } from "../../src/limits/postgres/schema.js";
import type { KpiRecord, UsageEvent } from "../../src/types.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { recordingLogger, records, tempDir } from "../ledger/helpers.js";
import { freshDatabase, query } from "./pg-helpers.js";

// One varied set of events and KPIs, written into a SQLite file and into Postgres by their real sinks; every
// read command must print the same on both.
const pg = freshDatabase("parity");
const dir = tempDir("costtrail-fleet-parity-");
const file = join(dir, "ledger.db");

const DAY = 86_400_000;
const START = Date.UTC(2025, 4, 1);
const USERS = ["alice", "bob", "Émile", "zoë", null];
const USE_CASES = ["support", "search", "create_document", null];
const MODELS = ["gpt-4o-mini", "gpt-4o", "claude-haiku-4-5"];

function events(): UsageEvent[] {
  const out: UsageEvent[] = [];
  for (let i = 0; i < 600; i++) {
    const useCase = USE_CASES[i % USE_CASES.length]!;
    const user = USERS[i % USERS.length]!;
    const status = i % 17 === 0 ? "error" : i % 23 === 0 ? "blocked" : "ok";
    const priced = i % 29 !== 0 && status !== "blocked";
    const annotations: UsageEvent["annotations"] = {
      ...(useCase
        ? { useCaseName: useCase, useCaseId: `${useCase}-${i % 40}`, useCaseVersion: 1 + (i % 3) }
        : {}),
      ...(user ? { userId: user } : {}),
      ...(i % 4 === 0 ? { accountName: `acct-${i % 3}` } : {}),
      ...(i % 5 === 0 ? { useCaseStep: ["draft", "review"][i % 2]! } : {}),
      ...(i % 6 === 0 ? { limitIds: ["daily", ...(i % 12 === 0 ? ["team"] : [])] } : {}),
      ...(i % 7 === 0 ? { requestTags: ["beta", ...(i % 14 === 0 ? ["vip"] : [])] } : {}),
    };
    const model = MODELS[i % MODELS.length]!;
    out.push(
      makeEvent(`p-${i}`, {
        ts: new Date(START + Math.floor((i * 7 * DAY) / 600) + (i % 13) * 1_000).toISOString(),
        provider: model.startsWith("claude") ? "anthropic" : "openai",
        requestModel: model,
        responseModel: model,
        status,
        usage:
          status === "blocked"
            ? { inputTokens: 0, outputTokens: 0 }
            : { inputTokens: 100 + i, outputTokens: 10 + (i % 50) },
        costMicros: priced ? 1 + ((i * 37) % 5_000) : null,
        costNanos: priced ? ((i * 37) % 5_000) * 1_000 + 1 + (i % 999) : undefined,
        costSource: priced ? "computed" : "unpriced",
        annotations,
      } as never),
    );
  }
  return out;
}

function kpis(): KpiRecord[] {
  return Array.from({ length: 80 }, (_, i) => ({
    id: `k-${i}`,
    ts: new Date(START + i * 3_600_000).toISOString(),
    name: i % 2 ? "resolved" : "csat",
    value: i % 2 ? 1 : 3.5 + (i % 3),
    kind: i % 2 ? "boolean" : "number",
    useCaseName: "support",
    useCaseId: `support-${(i * 4) % 40}`,
    ...(i % 3 === 0 ? { userId: "alice" } : {}),
  })) as KpiRecord[];
}

beforeAll(async () => {
  const all = events();
  const sqlite = openLedger(file, { logger: recordingLogger(), installExitHooks: false });
  sqlite.write(records(all));
  sqlite.writeKpis(kpis());
  await sqlite.shutdown();
  const logger = recordingLogger();
  const postgres = new PostgresLedgerSink(pg.url(), {
    logger,
    installExitHooks: false,
    spoolRoot: join(dir, "spool"),
  });
  postgres.write(records(all));
  postgres.writeKpis(kpis());
  await postgres.shutdown();
  expect(logger.warnings).toEqual([]);
});

async function cli(argv: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

async function both(argv: string[]) {
  const a = await cli([...argv, "--db", file]);
  const b = await cli([...argv, "--db", pg.url()]);
  expect(a.err).toBe("");
  expect(a.code).toBe(0);
  return { sqlite: a.out, postgres: b };
}

const RANGE = ["--since", "2025-05-01", "--until", "2025-05-09"];
const KEYS = [
  "user",
  "use-case",
  "instance",
  "account",
  "limit",
  "step",
  "version",
  "model",
  "provider",
  "tag",
  "day",
];

describe("every read command prints the same from SQLite and from Postgres", () => {
  for (const by of KEYS) {
    for (const format of ["json", "csv", "table"]) {
      it(`report --by ${by} --format ${format}`, async () => {
        const { sqlite, postgres } = await both(["report", "--by", by, "--format", format, ...RANGE]);
        expect(postgres).toEqual({ code: 0, out: sqlite, err: "" });
      });
    }
  }

  it.each([
    [["report", "--by", "user", "--limit", "2", "--format", "json", ...RANGE]],
    [["report", "--by", "day", "--use-case", "support", "--format", "json"]],
    [["events", "--tail", "50", "--format", "json"]],
    [["kpis", "--format", "json", ...RANGE]],
    [["kpis", "--by", "user", "--format", "json", ...RANGE]],
    [["kpis", "--by", "version", "--format", "json", ...RANGE]],
    [["kpis", "--by", "account", "--format", "csv", ...RANGE]],
    [["kpis", "--by", "version", ...RANGE]],
    [["whatif", "--model", "gpt-4o", "--use-case", "support", "--format", "json", ...RANGE]],
    [["export", "--format", "focus", ...RANGE]],
  ])("%j", async (argv) => {
    const { sqlite, postgres } = await both(argv);
    expect(postgres).toEqual({ code: 0, out: sqlite, err: "" });
  });

  it("the dashboard's queries: period totals, spend over time, one instance", () => {
    const a = openLedgerReader(file);
    const b = openLedgerReader(pg.url());
    try {
      const period = { since: "2025-05-01", until: "2025-05-09" };
      expect(periodTotals(b, period)).toEqual(periodTotals(a, period));
      expect(spendOverTime(b, { ...period, bucket: "hour", series: 3 })).toEqual(
        spendOverTime(a, { ...period, bucket: "hour", series: 3 }),
      );
      expect(instanceDetail(b, "support-4")).toEqual(instanceDetail(a, "support-4"));
    } finally {
      a.close();
      b.close();
    }
  });
});

describe("costtrail migrate", () => {
  const empty = freshDatabase("migratecli");
  it("creates the schema once, then has nothing to do", async () => {
    const first = await cli(["migrate", "--db", empty.url()]);
    expect(first).toEqual({
      code: 0,
      out: `ledger ${empty.url()}: schema version 0 -> 11 (applied 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)\n`,
      err: "",
    });
    // The fleet limit gate's tables too: apps without DDL rights find everything in place.
    expect(await query(empty.url(), "SELECT version FROM costtrail_limit_schema")).toEqual([
      { version: LIMIT_SCHEMA_VERSION },
    ]);
    const again = await cli(["migrate", "--db", empty.url()]);
    expect(again.out).toBe(`ledger ${empty.url()} is at schema version 11; nothing to do\n`);
    const local = await cli(["migrate", "--db", join(dir, "new.db")]);
    expect(local.out).toMatch(/schema version 0 -> 11/);
  });

  it("a server that cannot be reached is a usage error naming the ledger, password masked", async () => {
    const r = await cli(["report", "--by", "user", "--db", "postgres://app:Secret-77@127.0.0.1:1/costs"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^costtrail: cannot reach ledger postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/costs: .*ECONNREFUSED/,
    );
    expect(r.err).not.toContain("Secret-77");
  });

  it("reads COSTTRAIL_LEDGER when --db is not given", async () => {
    process.env.COSTTRAIL_LEDGER = pg.url();
    try {
      const r = await cli(["report", "--by", "provider", "--format", "json", ...RANGE]);
      const s = await cli(["report", "--by", "provider", "--format", "json", ...RANGE, "--db", file]);
      expect(r.out).toBe(s.out);
    } finally {
      delete process.env.COSTTRAIL_LEDGER;
    }
  });
});
