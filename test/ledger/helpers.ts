import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
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
