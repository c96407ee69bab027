// A fresh user project in a temp dir, with costtrail installed as a package would be: its package.json (and so
// its exports map) and a build of its sources in node_modules/costtrail, the SDKs beside it. Nothing is fetched:
// costtrail's own dependencies and the SDKs are links into this repo's node_modules.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";

const ROOT = new URL("../../", import.meta.url).pathname;
const run = promisify(execFile);

/** What a user would have installed beside costtrail. */
const USER_DEPS = [
  "openai",
  "@anthropic-ai/sdk",
  "@aws-sdk/client-bedrock-runtime",
  "@opentelemetry/api",
  "@langchain/core",
  "@types/node",
  "typescript",
];

export interface FreshProject {
  /** The project directory (cwd for its scripts). */
  dir: string;
  /** Writes a file of the project. */
  write(name: string, text: string): string;
  /** Runs `node <args>` in the project. */
  node(args: string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }>;
  /** Runs the TypeScript compiler in the project. */
  tsc(args: string[]): Promise<{ stdout: string; stderr: string }>;
}

/**
 * Builds costtrail (tsc, into the temp package — never the repo's dist, which other runs may be writing) and
 * lays out the project before the file's tests; removed after them.
 */
export function freshProject(packageJson: Record<string, unknown>): FreshProject {
  const dir = mkdtempSync(join(tmpdir(), "costtrail-fresh-"));
  const modules = join(dir, "node_modules");
  const pkg = join(modules, "costtrail");
  beforeAll(async () => {
    mkdirSync(pkg, { recursive: true });
    copyFileSync(join(ROOT, "package.json"), join(pkg, "package.json"));
    symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"), "dir");
    await run(join(ROOT, "node_modules/.bin/tsc"), [
      "-p",
      join(ROOT, "tsconfig.build.json"),
      "--outDir",
      join(pkg, "dist"),
      "--sourceMap",
      "false",
    ]);
    for (const dep of USER_DEPS) {
      mkdirSync(dirname(join(modules, dep)), { recursive: true });
      symlinkSync(join(ROOT, "node_modules", dep), join(modules, dep), "dir");
    }
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "fresh-app", private: true, ...packageJson }),
    );
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    node: (args, env = process.env) => run(process.execPath, args, { cwd: dir, env }),
    tsc: (args) => run(join(modules, "typescript/bin/tsc"), args, { cwd: dir }),
  };
}
