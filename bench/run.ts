// `npm run bench`: every benchmark in turn, each in its own process so none warms the other.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const benches = process.argv.slice(2).length
  ? process.argv.slice(2)
  : [
      "track-overhead.ts",
      "provider-overhead.ts",
      "ledger-ingest.ts",
      "limits.ts",
      "otel-sink.ts",
      "dashboard-api.ts",
    ];
for (const file of benches) {
  const path = new URL(`./${file}`, import.meta.url).pathname;
  if (!existsSync(path)) continue;
  console.log(`\n### ${file}`);
  const result = spawnSync(process.execPath, ["--import", "tsx", path], { stdio: "inherit" });
  if (result.status !== 0) process.exitCode = 1;
}
