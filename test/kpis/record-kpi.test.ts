import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  AnnotationError,
  ConfigError,
  currentAnnotations,
  type Instrumentation,
  instrument,
  type KpiRecord,
  recordKpi,
  type Sink,
  trackContext,
} from "../../src/index.js";
import { openLedgerReadonly } from "../../src/ledger/open-database.js";
import { freshDatabase, query } from "../fleet/pg-helpers.js";
import { tempDir } from "../ledger/helpers.js";
import { startTsxChild } from "../support/child.js";
import { withoutLimitStoreOutage } from "../support/limit-store-outage.js";

const dir = tempDir("costtrail-kpis-");
const pg = freshDatabase("recordkpi");
let n = 0;
const freshPath = () => join(dir, `kpis-${n++}.db`);

let handle: Instrumentation | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

/** A user sink that only takes KPIs: existing sinks without writeKpis keep working untouched. */
function kpiSink(): Sink & { kpis: KpiRecord[] } {
  const kpis: KpiRecord[] = [];
  return { name: "kpi-recorder", kpis, write() {}, writeKpis: (batch) => void kpis.push(...batch) };
}

function storedKpis(path: string) {
  const db = openLedgerReadonly(path);
  try {
    return db
      .prepare(
        `SELECT name, value_nanos, unit, kind, use_case_name, use_case_id, use_case_version, user_id
         FROM kpis ORDER BY name, ts_ms`,
      )
      .all();
  } finally {
    db.close();
  }
}

describe("recordKpi", () => {
  it("records against the current instance; numbers, booleans and { value, unit } reach the ledger exactly", async () => {
    const path = freshPath();
    const sink = kpiSink();
    handle = instrument({ ledger: path, globalInstrumentation: false, sinks: [sink] });
    let instance = "";
    await trackContext({ useCaseName: "create_document", useCaseVersion: 2, userId: "alice" }, async () => {
      instance = currentAnnotations().useCaseId!;
      recordKpi("accepted", true);
      recordKpi("edits", 3);
      recordKpi("revenue", { value: 0.1, unit: "USD" });
      recordKpi("score", -0.000000001);
    });
    await handle.shutdown();
    handle = undefined;
    const common = {
      use_case_name: "create_document",
      use_case_id: instance,
      use_case_version: 2,
      user_id: "alice",
    };
    expect(storedKpis(path)).toEqual([
      { name: "accepted", value_nanos: 1_000_000_000, unit: null, kind: "boolean", ...common },
      { name: "edits", value_nanos: 3_000_000_000, unit: null, kind: "count", ...common },
      { name: "revenue", value_nanos: 100_000_000, unit: "USD", kind: "usd", ...common },
      { name: "score", value_nanos: -1, unit: null, kind: "number", ...common },
    ]);
    expect(sink.kpis.map((k) => [k.name, k.value, k.useCaseId])).toEqual([
      ["accepted", 1, instance],
      ["edits", 3, instance],
      ["revenue", 0.1, instance],
      ["score", -0.000000001, instance],
    ]);
  });

  it("records later, outside the scope, by target", async () => {
    const path = freshPath();
    handle = instrument({ ledger: path, globalInstrumentation: false });
    recordKpi("accepted", false, { useCaseName: "create_document", useCaseId: "doc-42" });
    await handle.shutdown();
    handle = undefined;
    expect(storedKpis(path)).toEqual([
      expect.objectContaining({
        name: "accepted",
        value_nanos: 0,
        use_case_id: "doc-42",
        use_case_version: null,
      }),
    ]);
  });

  it("outside any instance and without a target: AnnotationError naming what is missing", () => {
    handle = instrument({ ledger: false, globalInstrumentation: false });
    const outside = () => recordKpi("accepted", true);
    expect(outside).toThrow(AnnotationError);
    expect(outside).toThrow(/useCaseName is missing.*target: \{ useCaseName, useCaseId \}/);
    try {
      outside();
    } catch (error) {
      expect((error as AnnotationError).field).toBe("useCaseName");
    }
  });

  it("bad names, values and targets: AnnotationError naming the field", () => {
    handle = instrument({ ledger: false, globalInstrumentation: false });
    const t = { useCaseName: "u", useCaseId: "i" };
    const cases: [() => void, string][] = [
      [() => recordKpi("", 1, t), "name"],
      [() => recordKpi(42 as never, 1, t), "name"],
      [() => recordKpi("x".repeat(129), 1, t), "name"],
      [() => recordKpi("k", Number.NaN, t), "value"],
      [() => recordKpi("k", "3" as never, t), "value"],
      [() => recordKpi("k", 1e10, t), "value"],
      [() => recordKpi("k", { value: 1 } as never, t), "value.unit"],
      [() => recordKpi("k", { value: Number.POSITIVE_INFINITY, unit: "USD" }, t), "value.value"],
      [() => recordKpi("k", { value: 1, unit: "USD", extra: 1 } as never, t), "value.extra"],
      [() => recordKpi("k", 1, { useCaseName: "u" } as never), "target.useCaseId"],
      [() => recordKpi("k", 1, { useCaseName: "", useCaseId: "i" }), "target.useCaseName"],
    ];
    for (const [call, field] of cases) {
      let caught: unknown;
      try {
        call();
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(AnnotationError);
      expect((caught as AnnotationError).field).toBe(field);
      expect((caught as AnnotationError).message).toContain(`${field}: `);
    }
  });

  it("a defined KPI takes values of its kind", () => {
    handle = instrument({
      ledger: false,
      globalInstrumentation: false,
      kpis: [
        { name: "accepted", useCase: "doc", kind: "boolean" },
        { name: "revenue", useCase: "doc", kind: "usd", roi: true },
      ],
    });
    const t = { useCaseName: "doc", useCaseId: "i" };
    expect(() => recordKpi("accepted", 3, t)).toThrow(/accepted" is a boolean KPI/);
    expect(() => recordKpi("revenue", { value: 3, unit: "EUR" }, t)).toThrow(/value.unit/);
    expect(() => recordKpi("accepted", 1, t)).not.toThrow();
    // The same name under another use case is undefined there: anything goes.
    expect(() => recordKpi("accepted", 3, { useCaseName: "other", useCaseId: "i" })).not.toThrow();
  });
});

describe("instrument({ kpis })", () => {
  it("bad definitions: ConfigError naming the field", () => {
    const cases: [unknown, string][] = [
      ["nope", "kpis"],
      [[{ name: "a", useCase: "u" }], "kpis.0.kind"],
      [[{ name: "a", useCase: "u", kind: "money" }], "kpis.0.kind"],
      [[{ name: "", useCase: "u", kind: "count" }], "kpis.0.name"],
      [[{ name: "a", useCase: "u", kind: "count", goal: { op: "~", value: 1 } }], "kpis.0.goal.op"],
      [[{ name: "a", useCase: "u", kind: "boolean", goal: { op: ">=", value: 60 } }], "kpis.0.goal.value"],
      [[{ name: "a", useCase: "u", kind: "count", roi: true }], "kpis.0.roi"],
      [[{ name: "a", useCase: "u", kind: "count", colour: "red" }], "kpis.0.colour"],
      [
        [
          { name: "a", useCase: "u", kind: "count" },
          { name: "a", useCase: "u", kind: "number" },
        ],
        "kpis.1.name",
      ],
    ];
    for (const [kpis, field] of cases) {
      let caught: unknown;
      try {
        instrument({ ledger: false, kpis: kpis as never });
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).field).toBe(field);
    }
  });

  it("reads the definitions from a JSON file: an array or { kpis }, stored and enforced like inline ones", async () => {
    const file = join(dir, "kpis.json");
    writeFileSync(
      file,
      JSON.stringify([
        { name: "accepted", useCase: "doc", kind: "boolean", goal: { op: ">=", value: 0.6 } },
        { name: "revenue", useCase: "doc", kind: "usd", roi: true },
      ]),
    );
    const path = freshPath();
    handle = instrument({ ledger: path, globalInstrumentation: false, kpis: file });
    expect(() => recordKpi("accepted", 3, { useCaseName: "doc", useCaseId: "i" })).toThrow(
      /accepted" is a boolean KPI/,
    );
    await handle.shutdown();
    handle = undefined;
    const db = openLedgerReadonly(path);
    try {
      expect(
        db
          .prepare(
            "SELECT use_case_name, name, kind, goal_op, goal_value, roi FROM kpi_definitions ORDER BY name",
          )
          .all(),
      ).toEqual([
        { use_case_name: "doc", name: "accepted", kind: "boolean", goal_op: ">=", goal_value: 0.6, roi: 0 },
        { use_case_name: "doc", name: "revenue", kind: "usd", goal_op: null, goal_value: null, roi: 1 },
      ]);
    } finally {
      db.close();
    }
    const wrapped = join(dir, "wrapped.json");
    writeFileSync(wrapped, JSON.stringify({ kpis: [{ name: "edits", useCase: "doc", kind: "count" }] }));
    handle = instrument({ ledger: false, globalInstrumentation: false, kpis: wrapped });
    expect(() => recordKpi("edits", 0.5, { useCaseName: "doc", useCaseId: "i" })).toThrow(/count KPI/);
  });

  it("a bad definitions file: ConfigError naming the field, and the file", () => {
    const write = (name: string, text: string) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    const missing = join(dir, "no-such-kpis.json");
    const cases: [unknown, string, RegExp][] = [
      [missing, "kpis", /kpis: cannot read the KPI definitions file .*no-such-kpis\.json \(ENOENT\)/],
      [write("broken.json", "[{"), "kpis", /kpis: .*broken\.json is not valid JSON/],
      [write("other.json", '{"limits": []}'), "kpis", /other\.json must hold an array of KPI definitions/],
      [
        write("bad-kind.json", '[{"name":"a","useCase":"u","kind":"money"}]'),
        "kpis.0.kind",
        /bad-kind\.json/,
      ],
      [write("not-array.json", '"accepted"'), "kpis", /must be an array of KPI definitions/],
      ["", "kpis", /kpis: /],
      [42, "kpis", /must be an array of KPI definitions or the path of a JSON file/],
    ];
    for (const [kpis, field, message] of cases) {
      let caught: unknown;
      try {
        instrument({ ledger: false, kpis: kpis as never });
      } catch (error) {
        caught = error;
      }
      expect(caught, String(kpis)).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).field, String(kpis)).toBe(field);
      expect((caught as ConfigError).message, String(kpis)).toMatch(message);
    }
  });

  it("stores the definitions in the ledger", async () => {
    const path = freshPath();
    handle = instrument({
      ledger: path,
      kpis: [{ name: "accepted", useCase: "doc", kind: "boolean", goal: { op: ">=", value: 0.6 } }],
    });
    await handle.shutdown();
    handle = undefined;
    const db = openLedgerReadonly(path);
    try {
      expect(
        db.prepare("SELECT use_case_name, name, kind, goal_op, goal_value, roi FROM kpi_definitions").all(),
      ).toEqual([
        { use_case_name: "doc", name: "accepted", kind: "boolean", goal_op: ">=", goal_value: 0.6, roi: 0 },
      ]);
    } finally {
      db.close();
    }
  });
});

describe("exit", () => {
  it("KPIs still buffered when the process exits are written by the exit path", async () => {
    const path = freshPath();
    const child = startTsxChild(fileURLToPath(new URL("./fixtures/kpi-child.ts", import.meta.url)), [
      path,
      "25",
    ]);
    const { code } = await child.exited;
    expect({ code, out: child.stdout(), err: child.stderr() }).toEqual({
      code: 0,
      out: "recorded\n",
      err: "",
    });
    const rows = storedKpis(path) as { name: string }[];
    expect(rows.filter((r) => r.name === "resolved")).toHaveLength(25);
    expect(rows.filter((r) => r.name === "csat")).toHaveLength(1);
  });

  it("on a Postgres ledger too: the exit path writes them to the database", async () => {
    const child = startTsxChild(
      fileURLToPath(new URL("./fixtures/kpi-child.ts", import.meta.url)),
      [pg.url(), "25"],
      { ...process.env, COSTTRAIL_SPOOL_DIR: join(dir, "spool") },
    );
    const { code } = await child.exited;
    expect({ code, out: child.stdout(), err: withoutLimitStoreOutage(child.stderr()) }).toEqual({
      code: 0,
      out: "recorded\n",
      err: "",
    });
    const rows = await query<{ name: string; n: string; total: string }>(
      pg.url(),
      "SELECT name, count(*) AS n, sum(value_nanos) AS total FROM kpis GROUP BY name ORDER BY name",
    );
    expect(rows).toEqual([
      { name: "csat", n: "1", total: "4500000000" },
      { name: "resolved", n: "25", total: "25000000000" },
    ]);
  });
});
