// What this process learnt about batches from the SDK's own answers (created, retrieved, cancelled): the
// annotations in force when a batch was created, its metadata, when it ended, and which files hold its results.
// Results read later are attributed with it (docs/providers.md "Batch APIs"). In memory and bounded; the
// creation's annotations are also kept in the ledger (runtime.batchScopes), for results read in another process.
import { log } from "../../log.js";
import { getRuntime } from "../../runtime.js";
import type { Annotations } from "../../types.js";

export interface KnownBatch {
  /** Resolved when the batch was created here; absent for a batch only seen (retrieved) here. */
  annotations?: Annotations;
  /** The batch's own `metadata` (OpenAI), string values only. */
  metadata?: Record<string, string>;
  /** When processing ended, as the provider says: prices are dated by it when a line carries no time. */
  endedAt?: Date;
  /** OpenAI: the batch's endpoint (`/v1/chat/completions` …), for lines that carry no response. */
  endpoint?: string;
  /** The ledger was asked for the creation's annotations (once per batch). */
  lookedUp?: boolean;
}

const MAX_BATCHES = 10_000;
const batches = new Map<string, KnownBatch>();
/** OpenAI output and error file id → batch id. */
const files = new Map<string, string>();

function bounded<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  if (map.size >= MAX_BATCHES) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

/**
 * Records what a batch object says (and, at creation, the annotations of the request that created it, also
 * written to the ledger). `provider`: the API family, "openai" or "anthropic".
 */
export function rememberBatch(
  provider: string,
  id: string,
  facts: Omit<KnownBatch, "annotations"> & { annotations?: Annotations | undefined; fileIds?: unknown[] },
): void {
  const known: KnownBatch = { ...batches.get(id) };
  if (facts.annotations) {
    known.annotations = facts.annotations;
    try {
      getRuntime()?.batchScopes?.remember(provider, id, facts.annotations);
    } catch (error) {
      log.internalFailure("batch-scopes", error);
    }
  }
  if (facts.metadata) known.metadata = facts.metadata;
  if (facts.endedAt) known.endedAt = facts.endedAt;
  if (facts.endpoint) known.endpoint = facts.endpoint;
  bounded(batches, id, known);
  for (const file of facts.fileIds ?? []) if (typeof file === "string" && file) bounded(files, file, id);
}

/** What is known about a batch; the creation's annotations from the ledger when this process did not see it. */
export function knownBatch(provider: string, id: string | undefined): KnownBatch | undefined {
  if (id === undefined) return undefined;
  void lookUp(provider, id);
  return batches.get(id);
}

/**
 * Asks the ledger for a batch's creation annotations, once per batch, unless known: done (undefined) when the
 * answer is synchronous (SQLite), else the promise of it (Postgres), which a results request waits for
 * (`BatchRoute.prepare`) so its lines are attributed.
 */
export function lookUp(provider: string, id: string): Promise<void> | undefined {
  const known = batches.get(id);
  const store = getRuntime()?.batchScopes;
  if (known?.annotations || known?.lookedUp || !store) return undefined;
  bounded(batches, id, { ...known, lookedUp: true });
  const found = (stored: Annotations | undefined) => {
    if (stored) bounded(batches, id, { ...batches.get(id), annotations: stored });
  };
  try {
    const stored = store.lookup(provider, id);
    if (!(stored instanceof Promise)) {
      found(stored);
      return undefined;
    }
    return stored.then(found, (error: unknown) => log.internalFailure("batch-scopes", error));
  } catch (error) {
    log.internalFailure("batch-scopes", error);
    return undefined;
  }
}

export function batchOfFile(fileId: string): string | undefined {
  return files.get(fileId);
}

/** String-valued metadata, as annotations can carry it (values up to 512 characters). */
export function stringMetadata(metadata: unknown): Record<string, string> | undefined {
  if (!metadata || typeof metadata !== "object" || Array.isArray(metadata)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata))
    if (typeof value === "string" && key) out[key.slice(0, 512)] = value.slice(0, 512);
  return Object.keys(out).length > 0 ? out : undefined;
}

const MAX_PROPERTIES = 64;

/**
 * A result line's annotations: those in force when the batch was created here (else where its results are
 * read), with `requestProperties` holding the batch's metadata under the scopes' own properties and, last,
 * `batch_id` and `custom_id`. Metadata is left out when it would push the map past its 64 keys.
 */
export function lineAnnotations(
  readHere: Annotations,
  batch: KnownBatch | undefined,
  batchId: string | undefined,
  customId: string,
): Annotations {
  const base = batch?.annotations ?? readHere;
  const own: Record<string, string> = { ...base.requestProperties };
  if (batchId) own["batch_id"] = batchId.slice(0, 512);
  own["custom_id"] = customId.slice(0, 512);
  let properties = own;
  if (batch?.metadata) {
    const merged = { ...batch.metadata, ...own };
    if (Object.keys(merged).length <= MAX_PROPERTIES) properties = merged;
  }
  if (Object.keys(properties).length > MAX_PROPERTIES) properties = { ...base.requestProperties };
  return { ...base, requestProperties: properties };
}
