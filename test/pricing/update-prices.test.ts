// A long-running process takes new prices without a restart: costtrail's updatePrices / setPriceData make
// new genai-prices data active and drop every memoized lookup.
import { afterAll, describe, expect, it } from "vitest";
import {
  currentPriceData,
  genaiPriceSource,
  Pricer,
  setPriceData,
  updatePrices,
} from "../../src/pricing/index.js";
import { spyLogger, usage } from "./helpers.js";

const u = usage({ inputTokens: 1000, outputTokens: 100 });
const TS = "2026-11-15T00:00:00Z";
const bundled = await currentPriceData();
afterAll(() => setPriceData(bundled));

/** The bundled data with gpt-4o-mini's prices replaced. */
function withMiniAt(input: number, output: number) {
  return bundled.map((p) =>
    p.id !== "openai"
      ? p
      : {
          ...p,
          models: p.models.map((m) =>
            m.id === "gpt-4o-mini" ? { ...m, prices: { input_mtok: input, output_mtok: output } } : m,
          ),
        },
  );
}

describe("updating prices in a running process", () => {
  const pricer = new Pricer({ logger: spyLogger() });
  const cost = () => pricer.price({ provider: "openai", requestModel: "gpt-4o-mini", usage: u, ts: TS });

  it("a Pricer created before the update prices with the new data on its next call", () => {
    expect(cost()).toMatchObject({ costNanos: 1000 * 150 + 100 * 600 });
    expect(cost().priceSource).toBe(genaiPriceSource());
    setPriceData(withMiniAt(0.1, 0.4));
    expect(cost()).toMatchObject({ costNanos: 1000 * 100 + 100 * 400 });
    expect(cost().priceSource).toMatch(/^genai-prices@[\d.]+\/data:\d{4}-\d{2}-\d{2}T/);
  });

  it("takes asynchronously fetched data through genai-prices' storage-factory interface", async () => {
    updatePrices(({ setProviderData }) => {
      setProviderData(Promise.resolve(withMiniAt(0.2, 0.8)));
    });
    await new Promise((r) => setTimeout(r, 0));
    await currentPriceData();
    expect(cost()).toMatchObject({ costNanos: 1000 * 200 + 100 * 800 });
  });

  it("rejects data that is not a provider list", () => {
    expect(() => setPriceData({} as never)).toThrow(/array of providers/);
  });
});
