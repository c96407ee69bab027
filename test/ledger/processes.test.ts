import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openLedgerReadonly } from "../../src/ledger/open-database.js";
import { startTsxChild, waitFor } from "../support/child.js";
import { tempDir } from "./helpers.js";

const dir = tempDir();
const CHILD = fileURLToPath(new URL("./fixtures/writer-child.ts", import.meta.url));
let n = 0;
const freshPath = () => join(dir, `proc-${n++}.db`);

const startChild = (args: string[]) => startTsxChild(CHILD, args);

/** Only complete lines were acknowledged: a line cut by the kill was not fully printed. */
const printedIds = (out: string) =>
  out
    .split("\n")
    .slice(0, -1)
    .filter((l) => l && l !== "app-handler");

function storedIds(path: string): Set<string> {
  const db = openLedgerReadonly(path);
  try {
    return new Set(db.prepare("SELECT id FROM events").pluck().all() as string[]);
  } finally {
    db.close();
  }
}

describe("process exit", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`on ${signal}, every acknowledged event is in the file and the child dies of the signal`, async () => {
      const path = freshPath();
      const child = startChild([path, "stream", "k"]);
      // Let it run long enough to have both drained batches and events still queued when the signal lands.
      await waitFor(() => printedIds(child.stdout()).length >= 2_000);
      child.proc.kill(signal);
      const { code, signal: got } = await child.exited;
      expect({ code, signal: got }).toEqual({ code: null, signal });

      const printed = printedIds(child.stdout());
      const stored = storedIds(path);
      expect(printed.length).toBeGreaterThanOrEqual(2_000);
      expect(printed.filter((id) => !stored.has(id))).toEqual([]);
      expect(child.stderr()).toBe("");
    });
  }

  it("leaves the outcome to the app when it handles the signal itself", async () => {
    const path = freshPath();
    const child = startChild([path, "stream", "h", "app-handler"]);
    await waitFor(() => printedIds(child.stdout()).length >= 500);
    child.proc.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 7, signal: null });
    expect(child.stdout()).toContain("app-handler\n");
    const stored = storedIds(path);
    expect(printedIds(child.stdout()).filter((id) => !stored.has(id))).toEqual([]);
  });

  it("writes everything on process.exit() and keeps the exit code", async () => {
    const path = freshPath();
    const child = startChild([path, "exit", "x", "300", "3"]);
    expect(await child.exited).toEqual({ code: 3, signal: null });
    expect(storedIds(path).size).toBe(300);
  });

  it("writes everything when the event loop runs empty", async () => {
    const path = freshPath();
    const child = startChild([path, "end", "b", "300"]);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(storedIds(path).size).toBe(300);
    expect(child.stderr()).toBe("");
  });
});

describe("two processes on one ledger", () => {
  it("stores every event exactly once", async () => {
    const path = freshPath();
    const children = [
      startChild([path, "bulk", "p1", "5000", "1000"]),
      startChild([path, "bulk", "p2", "5000", "1000"]),
    ];
    const exits = await Promise.all(children.map((c) => c.exited));
    for (const [i, c] of children.entries()) {
      expect(exits[i], c.stderr()).toEqual({ code: 0, signal: null });
      expect(c.stderr()).toBe("");
      expect(JSON.parse(c.stdout())).toEqual({ written: 6_000, buffered: 0, spooled: 0, dropped: 0 });
    }
    const db = openLedgerReadonly(path);
    try {
      const count = (sql: string) => db.prepare(sql).pluck().get();
      expect(count("SELECT count(*) FROM events")).toBe(11_000);
      expect(count("SELECT count(DISTINCT id) FROM events")).toBe(11_000);
      expect(count("SELECT count(*) FROM events WHERE id LIKE 'p1-%'")).toBe(5_000);
      expect(count("SELECT count(*) FROM events WHERE id LIKE 'p2-%'")).toBe(5_000);
      expect(count("SELECT count(*) FROM events WHERE id LIKE 'shared-%'")).toBe(1_000);
      // Each event has exactly its two tags, whoever wrote it first.
      expect(count("SELECT count(*) FROM event_labels")).toBe(22_000);
      expect(count("SELECT count(*) FROM event_labels WHERE value = 'all'")).toBe(11_000);
    } finally {
      db.close();
    }
  });
});
