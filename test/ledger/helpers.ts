import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterAll, beforeAll } from "vitest";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { openLedgerReadonly } from "../../src/ledger/open-database.js";
import type { Logger, SinkRecord, UsageEvent } from "../../src/types.js";

/** A fresh directory under the OS temp dir, removed after the file's tests. */
export function tempDir(prefix = "costtrail-ledger-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface RecordingLogger extends Logger {
  warnings: string[];
  errors: string[];
  infos: string[];
}

export function recordingLogger(): RecordingLogger {
  const logger: RecordingLogger = {
    warnings: [],
    errors: [],
    infos: [],
    warn: (message) => void logger.warnings.push(message),
    error: (message) => void logger.errors.push(message),
    info: (message) => void logger.infos.push(message),
  };
  return logger;
}

export const records = (events: readonly UsageEvent[]): SinkRecord[] => events.map((event) => ({ event }));

/**
 * Writes `events` through the real sink into a fresh ledger before the file's tests; `ledger()` is a read-only
 * connection to it (closed after them).
 */
export function fixtureLedger(
  events: readonly UsageEvent[],
  prefix?: string,
): { dir: string; path: string; ledger: () => Database } {
  const dir = tempDir(prefix);
  const path = join(dir, "ledger.db");
  let db: Database | undefined;
  beforeAll(async () => {
    const sink = openLedger(path, { logger: recordingLogger(), installExitHooks: false });
    sink.write(records(events));
    await sink.shutdown();
    db = openLedgerReadonly(path);
  });
  afterAll(() => db?.close());
  return {
    dir,
    path,
    ledger: () => {
      if (!db) throw new Error("ledger not ready");
      return db;
    },
  };
}
