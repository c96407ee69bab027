// Builds the dashboard page into dist/dashboard/: src/server/ui/main.ts and the modules it imports bundled by
// esbuild into one ES module (app.js), beside the page's static files. `npm run build` runs it; the browser
// test runs it too, so that it always drives the current source. Each file is written to a temporary name and
// renamed, so a dashboard starting meanwhile reads either the old file or the new one, never half of one.
import { copyFile, mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const UI = join(ROOT, "src", "server", "ui");
export const DASHBOARD_OUT_DIR = join(ROOT, "dist", "dashboard");
const STATIC_FILES = ["index.html", "style.css", "favicon.svg"];

async function replace(file, write) {
  const temporary = `${file}.${process.pid}.tmp`;
  await write(temporary);
  await rename(temporary, file);
}

/** Bundles the page into `outDir` (default dist/dashboard); resolves to the files written. */
export async function buildDashboard({ outDir = DASHBOARD_OUT_DIR } = {}) {
  const result = await build({
    entryPoints: [join(UI, "main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // Chart.js stays its own script (/vendor/chart.umd.js, served from node_modules): only types come from it.
    external: ["chart.js"],
    charset: "utf8",
    legalComments: "none",
    write: false,
    metafile: true,
    outfile: join(outDir, "app.js"),
    // Paths in the bundle's comments relative to the repository, wherever the build runs from.
    absWorkingDir: ROOT,
    logLevel: "warning",
  });
  // The page takes only types from the server (erased): a value import would pull server code into the page.
  const foreign = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith("src/server/ui/"));
  if (foreign.length) {
    throw new Error(
      `the dashboard bundle would include ${foreign.length} modules from outside src/server/ui ` +
        `(${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", …" : ""}) ` +
        "(import only types from the server, with `import type`)",
    );
  }
  await mkdir(outDir, { recursive: true });
  const written = [];
  for (const file of result.outputFiles) {
    await replace(file.path, (temporary) => writeFile(temporary, file.contents));
    written.push(file.path);
  }
  for (const name of STATIC_FILES) {
    const target = join(outDir, name);
    await replace(target, (temporary) => copyFile(join(UI, name), temporary));
    written.push(target);
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildDashboard();
}
