// Four weeks of simulated history for the demo, written straight into the ledger through its sink (no HTTP:
// it must take well under a second): the document app's use cases priced with the bundled table, outcomes
// recorded as KPIs, and the create_document prompt changed from version 1 to 2 half-way through. Seeded, so
// every demo shows the same history.
import { newId } from "../../context/ids.js";
import { openLedger } from "../../ledger/index.js";
import { seededRandom } from "../../mock-provider/tokens.js";
import { Pricer } from "../../pricing/index.js";
import type { Annotations, KpiRecord, UsageEvent } from "../../types.js";

export const HISTORY_DAYS = 28;
/** The day (counted back from today) from which create_document runs prompt version 2. */
export const VERSION_CHANGE_DAYS_AGO = 14;

const DAY_MS = 86_400_000;

export interface HistoryOptions {
  db: string;
  users: number;
  accounts: readonly string[];
  now: number;
}

export interface HistorySummary {
  events: number;
  kpis: number;
}

/** Writes the history; returns what it wrote. */
export async function writeHistory(options: HistoryOptions): Promise<HistorySummary> {
  const rand = seededRandom(20_260_101);
  const pricer = new Pricer({ logger: { warn: () => {}, error: () => {} } });
  const events: UsageEvent[] = [];
  const kpis: KpiRecord[] = [];
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

  const call = (
    ts: number,
    provider: "openai" | "anthropic",
    model: string,
    input: number,
    output: number,
    annotations: Annotations,
  ) => {
    const usage = {
      inputTokens: input,
      outputTokens: output,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    };
    const iso = new Date(ts).toISOString();
    const { costMicros, costSource } = pricer.price({ provider, requestModel: model, usage, ts: iso });
    events.push({
      id: newId(),
      ts: iso,
      durationMs: between(300, 1_800),
      provider,
      operation: provider === "openai" ? "chat" : "messages",
      requestModel: model,
      stream: provider === "anthropic",
      status: "ok",
      httpStatus: 200,
      attempts: 1,
      usage,
      costMicros,
      currency: "USD",
      costSource,
      annotations,
      limitsExceeded: [],
    });
  };
  const kpi = (ts: number, name: string, value: number, a: Annotations, unit?: string) => {
    kpis.push({
      id: newId(),
      ts: new Date(ts).toISOString(),
      name,
      value,
      ...(unit ? { unit } : {}),
      kind: unit ? "usd" : "boolean",
      useCaseName: a.useCaseName!,
      useCaseId: a.useCaseId!,
      ...(a.useCaseVersion !== undefined ? { useCaseVersion: a.useCaseVersion } : {}),
    });
  };

  const today = Math.floor(options.now / DAY_MS) * DAY_MS;
  for (let daysAgo = HISTORY_DAYS; daysAgo >= 1; daysAgo--) {
    const dayStart = today - daysAgo * DAY_MS;
    const version = daysAgo > VERSION_CHANGE_DAYS_AGO ? 1 : 2;
    const weekday = new Date(dayStart).getUTCDay();
    const busy = weekday === 0 || weekday === 6 ? 0.5 : 1;
    const who = () => {
      const u = between(0, options.users - 1);
      return {
        userId: `user-${String(u + 1).padStart(2, "0")}`,
        accountName: options.accounts[u % options.accounts.length]!,
      };
    };
    const at = () => dayStart + between(7 * 3_600_000, 21 * 3_600_000);

    for (let n = Math.round(between(24, 36) * busy); n > 0; n--) {
      // Version 2's prompt asks for a tighter draft: fewer output tokens, and more documents accepted.
      const a: Annotations = {
        useCaseName: "create_document",
        useCaseId: newId(),
        useCaseVersion: version,
        ...who(),
      };
      const ts = at();
      call(
        ts,
        "openai",
        "gpt-4o-mini",
        between(55, 90),
        version === 1 ? between(170, 260) : between(100, 150),
        a,
      );
      for (let k = between(0, 3) - 1; k > 0; k--) {
        const { useCaseVersion: _, ...rest } = a;
        const append: Annotations = { ...rest, useCaseName: "append_document" };
        call(ts + k * 60_000, "anthropic", "claude-haiku-4-5", between(250, 450), between(90, 150), append);
      }
      // Judged by the user minutes to hours later; some documents are never judged.
      if (rand() < 0.85) {
        const accepted = rand() < (version === 1 ? 0.52 : 0.74);
        const later = ts + between(5, 240) * 60_000;
        kpi(later, "document_accepted", accepted ? 1 : 0, a);
        if (accepted) kpi(later, "revenue", 0.01, a, "USD");
      }
    }
    for (let n = Math.round(between(10, 16) * busy); n > 0; n--) {
      const a: Annotations = {
        useCaseName: "answer_ticket",
        useCaseId: newId(),
        useCaseVersion: 1,
        ...who(),
      };
      const ts = at();
      call(ts, "openai", "gpt-4o-mini", between(120, 300), between(80, 200), a);
      kpi(ts + 60_000, "ticket_resolved", rand() < 0.8 ? 1 : 0, a);
    }
  }

  const sink = openLedger(options.db, {
    logger: { warn: () => {}, error: () => {} },
    installExitHooks: false,
  });
  sink.write(events.map((event) => ({ event })));
  sink.writeKpis(kpis);
  await sink.shutdown();
  return { events: events.length, kpis: kpis.length };
}
