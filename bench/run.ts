// `npm run bench`: the peer table (bench/peers.ts), then every goal of docs/benchmarks.md with PASS / FALL SHORT
// (bench/goals.ts, which reads the peer figures), each in its own process so none warms the other.
//   npm run bench [-- --quick | --full]        peers + goals
//   npm run bench -- --all                     also the detailed benchmarks (ledger, limits, OTel, dashboard)
//   npm run bench -- ledger-ingest.ts ...      just these files
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith("--") && a !== "--all");
const files = args.filter((a) => !a.startsWith("--"));
const detailed = [
  "track-overhead.ts",
  "provider-overhead.ts",
  "ledger-ingest.ts",
  "limits.ts",
  "otel-sink.ts",
  "dashboard-api.ts",
  "fleet.ts",
];
const dir = mkdtempSync(join(tmpdir(), "costtrail-bench-run-"));
const peersJson = join(dir, "peers.json");
const plan: [string, string[]][] = files.length
  ? files.map((f) => [f, []])
  : [
      ["peers.ts", [...flags.filter((f) => f === "--quick"), "--json", peersJson]],
      ["goals.ts", [...flags, "--peers", peersJson]],
      ...(args.includes("--all") ? detailed.map((f): [string, string[]] => [f, []]) : []),
    ];
try {
  for (const [file, fileArgs] of plan) {
    const path = new URL(`./${file}`, import.meta.url).pathname;
    if (!existsSync(path)) continue;
    console.log(`\n### ${file}`);
    const result = spawnSync(process.execPath, ["--import", "tsx", path, ...fileArgs], { stdio: "inherit" });
    if (result.status !== 0) process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
