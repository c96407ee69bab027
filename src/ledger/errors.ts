// The ledger's errors are part of the one hierarchy in src/errors.ts; re-exported for the ledger's modules.
export { LedgerNotFoundError } from "../errors.js";
