/**
 * Old-space growth per scavenge (not part of `npm run bench`): runs `bench/profile-calls.ts` under
 * `node --trace-gc` and averages how much the heap left after each scavenge grew since the collection before it
 * (the first 50 scavenges, start-up and warm-up, left out). Objects a scavenge promotes are what later
 * mark-compacts pay for; unlike CPU time this hardly moves with the machine's load, so it tells builds apart on a
 * shared machine (docs/benchmarks.md "Streaming per chunk (issue 19, session 6)"). Uses the checkout's `dist/`.
 *
 *   npx tsx bench/gc-growth.ts [costtrail|bare+ALS] [chat|stream] [calls=1500]
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const [variant = "costtrail", mode = "stream", calls = "1500"] = process.argv.slice(2);
const script = fileURLToPath(new URL("./profile-calls.ts", import.meta.url));
const out = execFileSync(process.execPath, ["--trace-gc", "--import", "tsx", script, variant, mode, calls], {
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
});
let previous: number | undefined;
let scavenges = 0;
let mark = 0;
const growth: number[] = [];
for (const line of out.split("\n")) {
  const after = /-> ([\d.]+) \(/.exec(line);
  if (!after) continue;
  const mb = Number(after[1]);
  if (line.includes("Scavenge")) {
    if (previous !== undefined && scavenges >= 50) growth.push(mb - previous);
    scavenges++;
  } else if (line.includes("Mark-Compact")) mark++;
  previous = mb;
}
const mean = growth.reduce((a, b) => a + b, 0) / Math.max(1, growth.length);
const last = out.trim().split("\n").at(-1);
console.log(
  `${variant} ${mode} ×${calls}: ${scavenges} scavenges, ${mark} mark-compacts; old space grows ${mean.toFixed(4)} MB a scavenge (${last})`,
);
