import { uuidv7 } from "uuidv7";

/** Use-case instance and event ids: UUID v7, so they sort by creation time in the ledger. */
export const newId: () => string = uuidv7;
