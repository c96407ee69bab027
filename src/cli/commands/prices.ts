import type { Database } from "better-sqlite3";
import { InvalidArgumentError, Option } from "commander";
import { type CatalogRow, priceCatalog } from "../../pricing/catalog.js";
import { Pricer } from "../../pricing/index.js";
import type { CommandRegistration } from "../context.js";
import { formatCount, renderTable } from "../format.js";
import { withLedger } from "../open-ledger.js";
import { dbOption } from "../options.js";

interface PricesCommandOptions {
  provider?: string;
  model?: string;
  at?: Date;
  tiers?: boolean;
  check?: boolean;
  db: string;
  format: "table" | "json";
}

/** The columns every row has; any other price key goes to "other". */
const MAIN_KEYS = [
  ["input", "input_mtok"],
  ["cached", "cache_read_mtok"],
  ["write 5m", "cache_write_mtok"],
  ["write 1h", "cache_write_1h_mtok"],
  ["output", "output_mtok"],
] as const;
const MAIN = new Set<string>(MAIN_KEYS.map(([, k]) => k));

function rate(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "number") return String(value);
  const v = value as { base: number; tiers: { start: number; price: number }[] };
  return [String(v.base), ...v.tiers.map((t) => `${t.price}>${t.start}`)].join(" ");
}

function renderCatalog(rows: readonly CatalogRow[]): string {
  return renderTable(
    [
      { header: "provider", align: "left" },
      { header: "model", align: "left" },
      { header: "tier", align: "left" },
      ...MAIN_KEYS.map(([h]) => ({ header: `${h} $/MTok`, align: "right" as const })),
      { header: "other", align: "left" },
      { header: "source", align: "left" },
    ],
    rows.map((r) => [
      r.provider,
      r.model,
      r.tier,
      ...MAIN_KEYS.map(([, key]) => rate(r.rates[key])),
      Object.entries(r.rates)
        .filter(([k, v]) => !MAIN.has(k) && v !== undefined)
        .map(([k, v]) => `${k}=${rate(v)}`)
        .join(" "),
      r.source,
    ]),
  );
}

interface ModelGroup {
  provider: string;
  request_model: string;
  response_model: string | null;
  price_as_resource: string | null;
  price_as_category: string | null;
  events: number;
  unpriced: number;
  overridden: number;
}

/** The distinct priced names in the ledger, with how their events were priced. Portable SQL (SQLite, Postgres). */
function modelGroups(db: Database): ModelGroup[] {
  return db
    .prepare(
      `SELECT provider, request_model, response_model, price_as_resource, price_as_category,
              count(*) AS events,
              sum(CASE WHEN cost_source = 'unpriced' THEN 1 ELSE 0 END) AS unpriced,
              sum(CASE WHEN cost_source = 'override' THEN 1 ELSE 0 END) AS overridden
         FROM events
        WHERE status != 'blocked'
          -- A call that billed nothing needs no price: a batch line the provider did not answer (model often
          -- "unknown", docs/pricing.md "Batch APIs"), a failed call recorded at 0.
          AND NOT (status != 'ok' AND COALESCE(cost_nanos, -1) = 0 AND input_tokens = 0 AND output_tokens = 0)
        GROUP BY provider, request_model, response_model, price_as_resource, price_as_category
        ORDER BY provider, request_model`,
    )
    .all() as ModelGroup[];
}

/** `--check`: every model seen in the ledger has a price now (overrides seen in the ledger count). */
function check(db: Database): { text: string; ok: boolean } {
  const pricer = new Pricer({ logger: { warn: () => {}, error: () => {} } });
  const missing: string[] = [];
  let repriceable = 0;
  const groups = modelGroups(db);
  for (const g of groups) {
    const result = pricer.price({
      provider: g.provider,
      requestModel: g.request_model,
      ...(g.response_model ? { responseModel: g.response_model } : {}),
      ...(g.price_as_resource ? { priceAsResource: g.price_as_resource } : {}),
      ...(g.price_as_resource && g.price_as_category ? { priceAsCategory: g.price_as_category } : {}),
      usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      ts: new Date(),
    });
    // Priced by an override in the application: the table need not know it.
    const byOverride = g.overridden === g.events;
    if (result.costNanos === null && !byOverride) {
      const name = g.price_as_resource ?? g.response_model ?? g.request_model;
      const also = g.response_model && g.response_model !== g.request_model ? ` (${g.request_model})` : "";
      missing.push(`${g.provider}/${name}${also}: ${formatCount(g.events)} events`);
    } else if (g.unpriced > 0) {
      repriceable += g.unpriced;
    }
  }
  const lines: string[] = [];
  if (missing.length) {
    lines.push(`${missing.length} model(s) in the ledger have no price:`, ...missing.map((m) => `  ${m}`));
    lines.push("Price them with instrument({ prices: [...] }) or priceAsResource (docs/pricing.md).");
  } else {
    lines.push(`all ${groups.length} model(s) in the ledger have a price`);
  }
  if (repriceable > 0) {
    lines.push(
      `${formatCount(repriceable)} unpriced event(s) now have a price: costtrail reprice --since <t>`,
    );
  }
  return { text: `${lines.join("\n")}\n`, ok: missing.length === 0 };
}

export const pricesCommand: CommandRegistration = (program, io) => {
  program
    .command("prices")
    .description(
      "the models costtrail can price, their rates and sources; --check: unpriced models in the ledger",
    )
    .option("--provider <id>", "one provider (openai, anthropic, bedrock, azure-openai or a genai-prices id)")
    .option("--model <text>", "models whose id contains this text")
    .addOption(
      new Option("--at <date>", "rates in force on this date (default now)").argParser((value: string) => {
        const date = new Date(value);
        if (Number.isNaN(date.getTime())) throw new InvalidArgumentError("expected a date, e.g. 2026-01-31");
        return date;
      }),
    )
    .option("--tiers", "also list flex / priority / batch rates")
    .option("--check", "exit 1 naming the models in the ledger that have no price")
    .addOption(dbOption())
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .action(async (opts: PricesCommandOptions) => {
      if (opts.check) {
        const result = withLedger(opts.db, check);
        io.stdout.write(result.text);
        // Not a usage error: the check ran and failed (exit 1).
        if (!result.ok) throw new Error("some models in the ledger have no price");
        return;
      }
      const rows = await priceCatalog({
        ...(opts.provider ? { provider: opts.provider } : {}),
        ...(opts.model ? { model: opts.model } : {}),
        ...(opts.at ? { at: opts.at } : {}),
        tiers: opts.tiers === true,
      });
      io.stdout.write(opts.format === "json" ? `${JSON.stringify(rows, null, 2)}\n` : renderCatalog(rows));
    });
};
