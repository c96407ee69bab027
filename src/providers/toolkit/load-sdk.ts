import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Every loaded-or-loadable instance of an SDK: its CommonJS build and its ESM build are separate module
 * instances with separate classes (apps that `require()` and apps that `import` must both be tracked).
 * Node ≥ 20.19 loads ESM synchronously through require(), sharing the ESM cache with `import`, so
 * `instrument()` stays synchronous. Resolved from costtrail's location and from the app's working directory.
 */
export function loadSdkInstances(pkg: string): {
  loaded: Record<string, unknown>[];
  /** The versions installed (one per resolved copy), from their package.json. */
  versions: string[];
  /** The ESM instance as `import` sees it: loaders such as tsx give require() a separate copy. */
  imported: Promise<Record<string, unknown>[]>;
} {
  const found = new Set<Record<string, unknown>>();
  const esmPaths = new Set<string>();
  const versions = new Set<string>();
  const bases = [import.meta.url, pathToFileURL(join(process.cwd(), "noop.js")).href];
  for (const base of bases) {
    let req: NodeJS.Require;
    try {
      req = createRequire(base);
      req.resolve(pkg);
    } catch {
      continue; // not installed from here: nothing to instrument
    }
    try {
      const version = readManifest(packageManifest(req.resolve(pkg), pkg)).version;
      if (typeof version === "string") versions.add(version);
    } catch {
      // No readable manifest: the version is not checked.
    }
    try {
      found.add(req(pkg) as Record<string, unknown>);
    } catch {
      // One build failing to load must not stop the other from being instrumented.
    }
    try {
      const path = esmEntry(req, pkg);
      esmPaths.add(path);
      found.add(req(path) as Record<string, unknown>);
    } catch {
      // No ESM build, or require(esm) unavailable: the import() below still finds it.
    }
  }
  const imported = Promise.all(
    [...esmPaths].map((path) =>
      import(pathToFileURL(path).href).then(
        (m: Record<string, unknown>) => m,
        () => undefined,
      ),
    ),
  ).then((mods) => mods.filter((m): m is Record<string, unknown> => m !== undefined));
  return { loaded: [...found], versions: [...versions], imported };
}

function esmEntry(req: NodeJS.Require, pkg: string): string {
  const manifestPath = packageManifest(req.resolve(pkg), pkg);
  const manifest = readManifest(manifestPath);
  const target =
    pickImport((manifest.exports as Record<string, unknown> | undefined)?.["."]) ?? manifest.module;
  if (!target) throw new Error(`${pkg} has no ESM entry`);
  return join(dirname(manifestPath), target);
}

function readManifest(path: string): { exports?: unknown; module?: string; version?: unknown } {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** `pkg/package.json` is often not exported, so walk up from the resolved entry to the package's root. */
function packageManifest(entry: string, pkg: string): string {
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, "package.json");
    try {
      if ((JSON.parse(readFileSync(candidate, "utf8")) as { name?: string }).name === pkg) return candidate;
    } catch {
      // no manifest here; keep walking up
    }
  }
  throw new Error(`no package.json found for ${pkg}`);
}

/** The `import` branch of a conditional export (skipping `require` and `types`). */
function pickImport(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry.endsWith(".d.ts") ? undefined : entry;
  if (!entry || typeof entry !== "object") return undefined;
  for (const [condition, value] of Object.entries(entry)) {
    if (condition === "require" || condition === "types") continue;
    if (["import", "node", "default"].includes(condition)) {
      const picked = pickImport(value);
      if (picked) return picked;
    }
  }
  return undefined;
}
