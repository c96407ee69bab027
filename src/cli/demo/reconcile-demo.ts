// The demo's last act: `costtrail reconcile` against the mock provider's admin API, over today (UTC). The mock
// bills what it served plus a nightly batch job that never called instrument() — the gap reconciliation exists
// to find — so the table shows one OpenAI row short, and the run is stored for the dashboard's coverage panel.
import type { Database } from "better-sqlite3";
import { DEFAULT_ANTHROPIC_ADMIN_KEY, DEFAULT_OPENAI_ADMIN_KEY } from "../../mock-provider/admin-dispatch.js";
import { openaiResponseModel } from "../../mock-provider/models.js";
import type { ReconcileOutput } from "../../reconcile/run.js";
import { reconcile } from "../../reconcile/run.js";
import type { MockAdminOptions } from "../../testing.js";

const DAY_MS = 86_400_000;
/** The demo's default 2 % tolerance, in parts per million. */
const TOLERANCE_PPM = 20_000;

/** What the mock bills besides the calls it served: a batch job without costtrail, ~5 % of the demo's calls. */
export function demoAdminOptions(requests: number): MockAdminOptions {
  const calls = Math.max(1, Math.round(requests / 20));
  return {
    unseen: [
      {
        provider: "openai",
        model: openaiResponseModel("gpt-4o-mini"),
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
    keys: { openai: DEFAULT_OPENAI_ADMIN_KEY, anthropic: DEFAULT_ANTHROPIC_ADMIN_KEY },
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
