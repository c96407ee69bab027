/**
 * Sums a V8 .cpuprofile's self time by function (name, file, line) and prints the top entries, with the
 * share of all samples: the "where does a call's time go" view of `node --cpu-prof`, without a UI.
 *
 *   npx tsx bench/cpuprofile-summary.ts <file.cpuprofile> [top=30] [filter-substring] [--owner <calls>]
 *
 * `--owner <calls>`: each sample counts for the nearest frame of a package or of this repo (a builtin or a
 * `node:` frame counts for its caller: costtrail's `Promise#then` is costtrail's), in µs per call; with the
 * filter, the total of the frames it matches too ("how much of a call is costtrail's own code").
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

const argv = process.argv.slice(2);
const ownerAt = argv.indexOf("--owner");
const ownerCalls = ownerAt >= 0 ? Number(argv.splice(ownerAt, 2)[1]) : undefined;
const [file, top = "30", filter] = argv;
if (!file) throw new Error("usage: cpuprofile-summary <file.cpuprofile> [top] [filter]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// Self time per node from the samples and their time deltas (µs), then summed per function.
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
if (ownerCalls) {
  const parent = new Map<number, number>();
  for (const n of profile.nodes as (ProfileNode & { children?: number[] })[])
    for (const c of n.children ?? []) parent.set(c, n.id);
  const owned = new Map<string, number>();
  let matched = 0;
  for (const [id, us] of selfUs) {
    let cursor: number | undefined = id;
    let owner = byId.get(id)!;
    while (cursor !== undefined) {
      const node = byId.get(cursor)!;
      if (node.callFrame.url && !node.callFrame.url.startsWith("node:")) {
        owner = node;
        break;
      }
      cursor = parent.get(cursor);
    }
    const key = label(owner);
    owned.set(key, (owned.get(key) ?? 0) + us);
    if (filter && key.includes(filter)) matched += us;
  }
  console.log(`${file}: ${(total / ownerCalls).toFixed(1)} µs sampled per call`);
  if (filter) console.log(`owned by "${filter}": ${(matched / ownerCalls).toFixed(2)} µs per call`);
  console.log("| µs per call | owner |\n|---:|---|");
  for (const [key, us] of [...owned]
    .filter(([k]) => !filter || k.includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(top)))
    console.log(`| ${(us / ownerCalls).toFixed(2)} | ${key} |`);
  process.exit(0);
}
const byFunction = new Map<string, number>();
for (const [id, us] of selfUs) {
  const key = label(byId.get(id)!);
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}
const rows = [...byFunction].filter(([k]) => !filter || k.includes(filter)).sort((a, b) => b[1] - a[1]);
console.log(`${file}: ${(total / 1e3).toFixed(0)} ms sampled`);
console.log("| self ms | share | function |\n|---:|---:|---|");
for (const [key, us] of rows.slice(0, Number(top)))
  console.log(`| ${(us / 1e3).toFixed(1)} | ${((us / total) * 100).toFixed(1)}% | ${key} |`);

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\/.*?\/(src|dist|bench)\//, "$1/");
  return `${functionName || "(anonymous)"}  ${where}${url ? `:${lineNumber + 1}` : ""}`;
}
