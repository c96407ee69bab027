// The demo's last act: `costtrail reconcile` against the mock provider's admin API, over today (UTC). The mock
// bills what it served plus a nightly batch job that never called instrument() — the gap reconciliation exists
// to find — so the table shows one OpenAI row short, and the run is stored for the dashboard's coverage panel.
import type { Database } from "better-sqlite3";
import type { ReconcileOutput } from "../../reconcile/run.js";
import { reconcile } from "../../reconcile/run.js";
import type { MockAdminOptions } from "../../testing.js";

const DAY_MS = 86_400_000;
/** The admin keys the demo's mock accepts (never real keys: the mock runs on loopback for the demo only). */
const OPENAI_ADMIN_KEY = "sk-admin-demo";
const ANTHROPIC_ADMIN_KEY = "sk-ant-admin-demo";
/** The demo's default 2 % tolerance, in parts per million. */
const TOLERANCE_PPM = 20_000;

/** What the mock bills besides the calls it served: a batch job without costtrail, ~5 % of the demo's calls. */
export function demoAdminOptions(requests: number): MockAdminOptions {
  const calls = Math.max(1, Math.round(requests / 20));
  return {
    openaiAdminKey: OPENAI_ADMIN_KEY,
    anthropicAdminKey: ANTHROPIC_ADMIN_KEY,
    unseen: [
      {
        provider: "openai",
        // The dated name the provider bills gpt-4o-mini under, as the ledger records the response model.
        model: "gpt-4o-mini-2024-07-18",
        requests: calls,
        usage: { inputTokens: calls * 35, outputTokens: calls * 25 },
      },
    ],
  };
}

/** Reconciles today's calls with the mock's admin API; stores the run in `db` (writable) like the CLI does. */
export async function reconcileDemo(db: Database, mockUrl: string, now: number): Promise<ReconcileOutput> {
  const result = await reconcile(db, {
    providers: ["openai", "anthropic"],
    keys: { openai: OPENAI_ADMIN_KEY, anthropic: ANTHROPIC_ADMIN_KEY },
    startMs: Math.floor(now / DAY_MS) * DAY_MS,
    endMs: now,
    groups: new Set(["day", "model"]),
    tolerancePpm: TOLERANCE_PPM,
    allocate: false,
    baseUrl: mockUrl,
    now,
  });
  return result.output;
}
