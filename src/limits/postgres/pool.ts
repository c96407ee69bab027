import { maskSecrets } from "../../ledger/location.js";

/**
 * A gate statement that takes longer is treated as the store being down (docs/limits.md, "When Postgres is
 * down"). The gate shares the ledger's pool (src/ledger/postgres/pool.ts), whose own default suits big batches.
 */
export const LIMIT_QUERY_TIMEOUT_MS = 5_000;

/** An error as it may be logged: its message with every password masked. */
export function maskedError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const masked = new Error(maskSecrets(message));
  masked.name = error instanceof Error ? error.name : "Error";
  return masked;
}
