// The page and Chart.js from node_modules, all served locally so the dashboard works offline. The page is
// built from src/server/ui (TypeScript) by `npm run build` (scripts/build-dashboard.mjs) into dist/dashboard/,
// which is the same folder seen from this module in the source tree (src/server/, tests and tsx) and in the
// package (dist/src/server/, the built CLI).
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface StaticAsset {
  body: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** URL path → file under the public directory. Only these are served (no path from the request reaches fs). */
const PAGE_FILES: Record<string, string> = {
  "/": "index.html",
  "/index.html": "index.html",
  "/app.js": "app.js",
  "/style.css": "style.css",
  "/favicon.svg": "favicon.svg",
};

export const CHART_JS_PATH = "/vendor/chart.umd.js";

/** Where the built page is: dist/dashboard, seen from dist/src/server/ (package) or src/server/ (source). */
export function pageDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "..", "..", "dashboard"), join(here, "..", "..", "dist", "dashboard")];
  const found = candidates.find((dir) =>
    Object.values(PAGE_FILES).every((file) => existsSync(join(dir, file))),
  );
  if (!found) {
    throw new Error(
      `the dashboard page is not built (looked in ${candidates.join(", ")}): run \`npm run build\` first`,
    );
  }
  return found;
}

/** Chart.js's UMD build (its package exports do not list it: resolve the package, then its dist folder). */
export function chartJsFile(): string | undefined {
  try {
    const main = createRequire(import.meta.url).resolve("chart.js");
    const file = join(dirname(main), "chart.umd.js");
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

const typeOf = (file: string) =>
  CONTENT_TYPES[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream";

/**
 * Reads every asset once. Without Chart.js the page still works (tables, totals, limits) and says the chart
 * library is missing.
 */
export function loadStaticAssets(dir: string = pageDir()): Map<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  for (const [path, file] of Object.entries(PAGE_FILES)) {
    const full = join(dir, file);
    assets.set(path, { body: readFileSync(full), contentType: typeOf(full) });
  }
  const chart = chartJsFile();
  if (chart) assets.set(CHART_JS_PATH, { body: readFileSync(chart), contentType: typeOf(chart) });
  return assets;
}
