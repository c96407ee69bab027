import type { Logger } from "./types.js";

const PREFIX = "[costtrail] ";

const consoleLogger: Logger = {
  warn: (message, ...rest) => console.warn(PREFIX + message, ...rest),
  error: (message, ...rest) => console.error(PREFIX + message, ...rest),
};

let sink: Logger = consoleLogger;
const said = new Set<string>();

/**
 * Messages say what happened, without naming costtrail: the console logger adds the `[costtrail]` prefix, a
 * user's logger knows where they come from. A message that names it anyway (`costtrail: …`, as some
 * modules write them for their own loggers) loses that, so no line says it twice.
 */
function unprefixed(message: string): string {
  return message.startsWith("costtrail: ") ? message.slice(11) : message;
}

/** Where costtrail's own messages go; `instrument({ logger })` replaces it. */
export const log = {
  use(logger: Logger | undefined): void {
    sink = logger ?? consoleLogger;
  },
  warn(message: string): void {
    safely(() => sink.warn(unprefixed(message)));
  },
  error(message: string, error?: unknown): void {
    const text = unprefixed(message);
    safely(() => (error === undefined ? sink.error(text) : sink.error(text, error)));
  },
  debug(message: string): void {
    safely(() => sink.debug?.(unprefixed(message)));
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
  /** An instrumentation failure, logged once per place; the user's call goes on untouched. */
  internalFailure(where: string, error: unknown): void {
    log.errorOnce(
      `internal:${where}`,
      `instrumentation failed in ${where}; the call itself is unaffected`,
      error,
    );
  },
};

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // A broken user logger must not break the call that is being logged.
  }
}
