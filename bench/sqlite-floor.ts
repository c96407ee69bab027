/**
 * What SQLite itself takes for the ledger's event row on this machine (not part of `npm run bench`): the same
 * synthetic events (bench/synthetic-ledger.ts, as the goals' ingest section makes them) inserted with one prepared
 * statement in transactions of 5,000, into tables that add one piece of the ledger's schema at a time, with no
 * labels, rollups or decoding. Alternating rounds in one process, CPU per row, min and median. The ingest goal
 * (≥ 100,000 events/s, ≤ 10 µs of the writer thread per event) is read against the last rows: the floor under
 * the writer's other work.
 *
 *   npx tsx bench/sqlite-floor.ts [--events 10000] [--rounds 15]
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EVENT_COLUMNS, toPendingEvent } from "../src/ledger/event-row.js";
import { openDatabase } from "../src/ledger/open-database.js";
import { takeNumberOption } from "./number-option.js";
import { makeEvent } from "./synthetic-ledger.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => takeNumberOption(argv, name, fallback);
const EVENTS = option("--events", 10_000);
const ROUNDS = option("--rounds", 15);
const TX = 5_000;

const start = Date.now() - 86_400_000;
const rows = Array.from({ length: EVENTS }, (_, i) => toPendingEvent(makeEvent(start + i)).values);
const columns = (key: string) => EVENT_COLUMNS.map((c) => (c === "id" ? `id ${key}` : c)).join(", ");
// The indices the ledger keeps on events, read from a ledger as openDatabase makes it (src/ledger/schema.ts).
const ledger = openDatabase(":memory:");
const INDICES = (
  ledger
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL")
    .all() as { sql: string }[]
)
  .map((i) => `${i.sql};`)
  .join("\n");
ledger.close();
const TABLES: [string, string][] = [
  ["the 40-column row, no key", `CREATE TABLE events (${columns("")})`],
  ["+ the id primary key", `CREATE TABLE events (${columns("TEXT PRIMARY KEY")})`],
  [
    "+ the two covering indices (the ledger's events table)",
    `CREATE TABLE events (${columns("TEXT PRIMARY KEY")});${INDICES}`,
  ],
  [
    "clustered by (ts_ms, id) WITHOUT ROWID, no indices",
    `CREATE TABLE events (${columns("TEXT NOT NULL")}, PRIMARY KEY (ts_ms, id)) WITHOUT ROWID`,
  ],
];

let files = 0;
function cpuPerRow(schema: string): number {
  const file = join(tmpdir(), `costtrail-sqlite-floor-${process.pid}-${files++}.db`);
  // Configured as the ledger is (page size, WAL, synchronous, foreign keys), its events table replaced.
  const db = openDatabase(file);
  try {
    db.exec("DROP TABLE events");
    db.exec(schema);
    const insert = db.prepare(
      `INSERT OR IGNORE INTO events (${EVENT_COLUMNS.join(", ")}) VALUES (${EVENT_COLUMNS.map(() => "?").join(", ")})`,
    );
    const write = db.transaction((batch: typeof rows) => {
      for (const values of batch) insert.run(...values);
    });
    const c0 = process.cpuUsage();
    for (let i = 0; i < EVENTS; i += TX) write(rows.slice(i, i + TX));
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / EVENTS;
  } finally {
    db.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
  }
}

for (const [, schema] of TABLES) cpuPerRow(schema); // warm-up
const us = TABLES.map(() => [] as number[]);
for (let r = 0; r < ROUNDS; r++)
  for (const [i, [, schema]] of TABLES.entries()) us[i]!.push(cpuPerRow(schema));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `\nSQLite floor: ${EVENTS} event rows, ${TX} per transaction, ${ROUNDS} rounds, Node ${process.version}\n`,
);
console.log("| table | CPU µs per row (min) | median | rows per CPU-second (min) |");
console.log("|---|---:|---:|---:|");
for (const [i, [name]] of TABLES.entries()) {
  const min = Math.min(...us[i]!);
  console.log(
    `| ${name} | ${min.toFixed(2)} | ${median(us[i]!).toFixed(2)} | ${Math.round(1e6 / min).toLocaleString("en-US")} |`,
  );
}
