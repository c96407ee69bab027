/**
 * Where a ledger lives: a SQLite file (or ":memory:") or a Postgres server. The one place that tells the two
 * apart, shared by `instrument({ ledger })`, `COSTTRAIL_LEDGER`, the CLI's `--db` and the limits (docs/fleet.md).
 */

/** Used when `instrument({ ledger })` / `--db` is not given. */
export const LEDGER_ENV = "COSTTRAIL_LEDGER";

export type LedgerLocation = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

export function isPostgresUrl(value: string): boolean {
  return POSTGRES_URL.test(value);
}

export function ledgerLocation(value: string): LedgerLocation {
  return isPostgresUrl(value) ? { kind: "postgres", url: value } : { kind: "sqlite", path: value };
}

// userinfo of any scheme://user:password@host, and password=... in key/value connection strings or query params.
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/?#\s]*@/gi;
const KEY_PASSWORD = /(\bpassword=)[^&\s]*/gi;

/** The text with every password in it replaced by `***`: for every log line and error that may name a ledger. */
export function maskSecrets(text: string): string {
  return text.replace(URL_PASSWORD, "$1***@").replace(KEY_PASSWORD, "$1***");
}
