// The npm registry reachable here does not serve Biome's non-Linux binaries (404), so `npm install` leaves
// them out of package-lock.json and `npm ci` then refuses the lock as out of sync. This adds the missing
// optional entries (platform-tagged, so npm skips them on Linux and fetches them elsewhere). Idempotent;
// run `node .ci/lock-biome-platforms.mjs` after any `npm install` that rewrites the lock.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const biome = lock.packages["node_modules/@biomejs/biome"];
const platform = {
  "android-arm64": ["android", "arm64"],
  "android-x64": ["android", "x64"],
  "darwin-arm64": ["darwin", "arm64"],
  "darwin-x64": ["darwin", "x64"],
  "linux-arm64": ["linux", "arm64"],
  "linux-arm64-musl": ["linux", "arm64", "musl"],
  "linux-x64": ["linux", "x64"],
  "linux-x64-musl": ["linux", "x64", "musl"],
  "win32-arm64": ["win32", "arm64"],
  "win32-x64": ["win32", "x64"],
};
let added = 0;
for (const [name, version] of Object.entries(biome?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [os, cpu, libc] = platform[name.replace("@biomejs/cli-", "")] ?? [];
  if (!os) throw new Error(`unknown Biome platform package ${name}`);
  lock.packages[key] = {
    version,
    cpu: [cpu],
    dev: true,
    license: "MIT OR Apache-2.0",
    optional: true,
    os: [os],
    ...(libc ? { libc: [libc] } : {}),
    engines: { node: ">=14.21.3" },
  };
  added++;
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} Biome platform entries added`);
