import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  updatePrices as genaiUpdatePrices,
  type Provider,
  type StorageFactoryParams,
  waitForUpdate,
} from "@pydantic/genai-prices";

/**
 * The genai-prices data in use, and how a running process takes new data without a restart. Every Pricer's
 * memoized lookups carry the data generation they were made with and are dropped when it changes.
 * See docs/pricing.md "Updating prices".
 */

let generation = 0;
let updatedAt: string | undefined;

/** Bumped whenever new price data becomes active; caches compare it on each lookup. */
export function priceDataGeneration(): number {
  return generation;
}

function activated(): void {
  generation++;
  updatedAt = new Date().toISOString();
}

let version: string | undefined;

/** The installed genai-prices version, e.g. "0.1.8" ("unknown" if its package.json cannot be read). */
export function genaiPricesVersion(): string {
  if (version !== undefined) return version;
  try {
    const entry = createRequire(import.meta.url).resolve("@pydantic/genai-prices");
    const pkg = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8")) as {
      version?: unknown;
    };
    version = typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    version = "unknown";
  }
  return version;
}

/** `genai-prices@0.1.8`, or `genai-prices@0.1.8/data:<ISO time>` once data was updated in this process. */
export function genaiPriceSource(): string {
  const base = `genai-prices@${genaiPricesVersion()}`;
  return updatedAt ? `${base}/data:${updatedAt}` : base;
}

/**
 * genai-prices' `updatePrices`, with costtrail's caches invalidated when the new data becomes active. Use this
 * one (not genai-prices' own) in a process that costtrail instruments, e.g. to poll
 * `REMOTE_DATA_JSON_URL` hourly. The factory is genai-prices' storage factory, unchanged.
 */
export function updatePrices(factory: (params: StorageFactoryParams) => unknown): void {
  genaiUpdatePrices((params) =>
    factory({
      ...params,
      setProviderData(data) {
        params.setProviderData(data);
        if (data === null) return;
        if (typeof data === "object" && "then" in data) {
          void waitForUpdate().then(activated, () => {});
        } else {
          activated();
        }
      },
    }),
  );
}

/** Makes `providers` (genai-prices' data.json shape) the active price data, now. Throws on a non-array. */
export function setPriceData(providers: Provider[]): void {
  if (!Array.isArray(providers)) throw new TypeError("costtrail: price data must be an array of providers");
  updatePrices(({ setProviderData }) => setProviderData(providers));
}

/** The active price data (bundled, or the last update). */
export async function currentPriceData(): Promise<Provider[]> {
  return (await waitForUpdate()) ?? [];
}
