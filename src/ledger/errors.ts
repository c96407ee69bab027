/** The ledger file to read does not exist or is not a costtrail ledger. */
export class LedgerNotFoundError extends Error {
  override readonly name = "LedgerNotFoundError";
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}
