// `costtrail demo --fleet <postgres-url>`: three worker processes on one Postgres ledger, with one block limit
// they share, then one fleet report (docs/fleet.md). Each worker runs its own mock provider; the ledger and the
// limit are the only things they have in common. The default demo stays on its own SQLite file.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { extname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import OpenAI from "openai";
import { isCostTrailError } from "../../errors.js";
import { instrument } from "../../instrument.js";
import { maskSecrets } from "../../ledger/location.js";
import { report } from "../../ledger/queries.js";
import { migrateLedger } from "../../ledger/reader.js";
import { startMockProvider } from "../../testing.js";
import type { CliOutput } from "../context.js";
import { formatUsd } from "../format.js";
import { withLedger } from "../open-ledger.js";
import { renderReportTable } from "../report-table.js";

const WORKERS = 3;
const CALLS_PER_WORKER = 40;
const CONCURRENCY = 4;
/** About half of what the three workers would spend: the shared limit has to stop them together. */
const LIMIT_USD = 0.001;

interface WorkerSummary {
  worker: string;
  ok: number;
  blocked: number;
}

/** The CLI's own entry point, as this file runs: bin.js when built, bin.ts (through tsx) from source. */
function selfCommand(): string[] {
  const ext = extname(fileURLToPath(import.meta.url));
  const bin = fileURLToPath(new URL(`../bin${ext}`, import.meta.url));
  if (ext !== ".ts") return [bin];
  return ["--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href, bin];
}

function runWorker(url: string, useCase: string, worker: string): Promise<WorkerSummary> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...selfCommand(), "demo", "--fleet-worker", url, useCase, worker],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code === 0 && line.startsWith("{")) resolve(JSON.parse(line) as WorkerSummary);
      else reject(new Error(`fleet demo worker ${worker} exited with code ${code}`));
    });
  });
}

/** The parent: migrate, start the workers at once, then report what the one ledger saw. */
export async function runFleetDemo(opts: { url: string; out: CliOutput }): Promise<void> {
  const { url, out } = opts;
  const run = randomBytes(3).toString("hex");
  const useCase = `fleet-demo-${run}`;
  migrateLedger(url);
  out.write(
    `costtrail fleet demo: ${WORKERS} worker processes, one ledger (${maskSecrets(url)}), ` +
      `one block limit of ${formatUsd(LIMIT_USD * 1e6)} USD a day on use case ${useCase}\n`,
  );
  const summaries = await Promise.all(
    Array.from({ length: WORKERS }, (_, i) => runWorker(url, useCase, `worker-${i + 1}`)),
  );
  for (const s of summaries)
    out.write(`  ${s.worker}: ${s.ok} calls made, ${s.blocked} blocked by the shared limit\n`);
  const result = withLedger(url, (db) => report(db, { by: "account", useCase }));
  out.write(`\nfleet report (costtrail report --by account --use-case ${useCase} --db <url>):\n`);
  out.write(renderReportTable(result));
  out.write(
    `\nfleet spend ${formatUsd(result.totals.costMicros)} USD against the ${formatUsd(LIMIT_USD * 1e6)} USD limit: ` +
      `the workers shared one budget (docs/limits.md states the bound).\n`,
  );
}

/** One worker process: its own mock provider, the fleet's ledger and limit. Prints its summary as JSON. */
export async function runFleetWorker(url: string, useCase: string, worker: string): Promise<void> {
  const mock = await startMockProvider({ latencyMs: 10 });
  const costtrail = instrument({
    ledger: url,
    defaults: { useCaseName: useCase, accountName: worker },
    limits: [
      {
        id: `${useCase}-daily`,
        maxUsd: LIMIT_USD,
        window: "day",
        mode: "block",
        scope: { useCaseName: useCase },
      },
    ],
    logger: {
      warn: (m) => process.stderr.write(`${worker}: ${m}\n`),
      error: (m) => process.stderr.write(`${worker}: ${m}\n`),
    },
  });
  await costtrail.ready;
  const openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "mock", maxRetries: 0 });
  const summary: WorkerSummary = { worker, ok: 0, blocked: 0 };
  let next = 0;
  const lane = async () => {
    while (next < CALLS_PER_WORKER) {
      const i = next++;
      try {
        await openai.chat.completions.create({
          model: "gpt-4o-mini",
          // A bounded reply keeps each call's reservation (its worst case) small beside the limit.
          max_tokens: 40,
          messages: [{ role: "user", content: `ticket ${i} from ${worker}` }],
        });
        summary.ok++;
      } catch (error) {
        if (!isCostTrailError(error, "LIMIT_EXCEEDED")) throw error;
        summary.blocked++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  await costtrail.shutdown();
  await mock.close();
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
