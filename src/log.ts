import type { Logger } from "./types.js";

const consoleLogger: Logger = {
  warn: (message, ...rest) => console.warn(`[costtrail] ${message}`, ...rest),
  error: (message, ...rest) => console.error(`[costtrail] ${message}`, ...rest),
};

let sink: Logger = consoleLogger;
const said = new Set<string>();

/** Where costtrail's own messages go; `instrument({ logger })` replaces it. */
export const log = {
  use(logger: Logger | undefined): void {
    sink = logger ?? consoleLogger;
  },
  warn(message: string): void {
    safely(() => sink.warn(message));
  },
  error(message: string, error?: unknown): void {
    safely(() => (error === undefined ? sink.error(message) : sink.error(message, error)));
  },
  debug(message: string): void {
    safely(() => sink.debug?.(message));
  },
  /** Says a thing once per process (per key): a failing path must not flood the user's logs. */
  warnOnce(key: string, message: string): void {
    if (said.has(key)) return;
    said.add(key);
    log.warn(message);
  },
  errorOnce(key: string, message: string, error?: unknown): void {
    if (said.has(key)) return;
    said.add(key);
    log.error(message, error);
  },
};

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // A broken user logger must not break the call that is being logged.
  }
}
