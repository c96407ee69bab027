/**
 * Sums a V8 .cpuprofile's self time by function (name, file, line) and prints the top entries, with the
 * share of all samples: the "where does a call's time go" view of `node --cpu-prof`, without a UI.
 *
 *   npx tsx bench/cpuprofile-summary.ts <file.cpuprofile> [top=30] [filter-substring]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, top = "30", filter] = process.argv.slice(2);
if (!file) throw new Error("usage: cpuprofile-summary <file.cpuprofile> [top] [filter]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// Self time per node from the samples and their time deltas (µs), then summed per function.
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const byFunction = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\/.*?\/(src|dist|bench)\//, "$1/");
  const key = `${functionName || "(anonymous)"}  ${where}${url ? `:${lineNumber + 1}` : ""}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}
const rows = [...byFunction].filter(([k]) => !filter || k.includes(filter)).sort((a, b) => b[1] - a[1]);
console.log(`${file}: ${(total / 1e3).toFixed(0)} ms sampled`);
console.log("| self ms | share | function |\n|---:|---:|---|");
for (const [key, us] of rows.slice(0, Number(top)))
  console.log(`| ${(us / 1e3).toFixed(1)} | ${((us / total) * 100).toFixed(1)}% | ${key} |`);
