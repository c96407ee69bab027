// Every ```ts block in README.md and docs/*.md must type-check against the real package: each becomes a module
// in test/.snippets/ with `costtrail` mapped to src/, compiled by the project's tsc. Blocks using NestJS
// (legacy decorators) compile under experimentalDecorators, as Nest apps do.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
const out = join(root, "test/.snippets");

interface Snippet {
  source: string;
  line: number;
  code: string;
  legacy: boolean;
}

function snippets(): Snippet[] {
  const files = [
    "README.md",
    ...readdirSync(join(root, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  const found: Snippet[] = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!/^```ts\s*$/.test(lines[i]!)) continue;
      const start = i + 1;
      while (i + 1 < lines.length && !lines[i + 1]!.startsWith("```")) i++;
      const code = lines.slice(start, i + 1).join("\n");
      found.push({ source: file, line: start + 1, code, legacy: /@nestjs\//.test(code) });
      i++;
    }
  }
  return found;
}

function tsconfig(legacy: boolean): string {
  const paths = {
    costtrail: ["../../src/index.ts"],
    "costtrail/decorators": ["../../decorators/index.ts"],
    "costtrail/otel": ["../../src/sinks/otel/index.ts"],
    "costtrail/langchain": ["../../src/providers/langchain/index.ts"],
    "costtrail/testing": ["../../src/testing.ts"],
  };
  return JSON.stringify({
    extends: "../../tsconfig.json",
    compilerOptions: {
      noEmit: true,
      paths,
      noUnusedLocals: false,
      ...(legacy ? { experimentalDecorators: true, emitDecoratorMetadata: true } : {}),
    },
    include: [legacy ? "legacy-*.ts" : "tc39-*.ts"],
  });
}

it("every ts snippet in README.md and docs/ type-checks", async () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const all = snippets();
  expect(all.length).toBeGreaterThan(10);
  const where = new Map<string, Snippet>();
  all.forEach((s, n) => {
    const name = `${s.legacy ? "legacy" : "tc39"}-${String(n).padStart(3, "0")}.ts`;
    where.set(name, s);
    // `export {}` makes every block its own module, so blocks never collide in a global scope.
    writeFileSync(join(out, name), `${s.code}\nexport {};\n`);
  });
  writeFileSync(join(out, "tsconfig.json"), tsconfig(false));
  writeFileSync(join(out, "tsconfig.legacy.json"), tsconfig(true));
  const tsc = join(root, "node_modules/.bin/tsc");
  const errors: string[] = [];
  for (const project of ["tsconfig.json", "tsconfig.legacy.json"]) {
    if (project.includes("legacy") && ![...where.values()].some((s) => s.legacy)) continue;
    try {
      await promisify(execFile)(tsc, ["-p", join(out, project)], { cwd: root });
    } catch (error) {
      const text = String((error as { stdout?: string }).stdout ?? error);
      for (const m of text.matchAll(/test\/\.snippets\/([\w-]+\.ts)\((\d+),\d+\): (.*)/g)) {
        const s = where.get(m[1]!)!;
        errors.push(`${s.source}:${s.line + Number(m[2]) - 1}: ${m[3]}`);
      }
      if (errors.length === 0) errors.push(text.slice(0, 2000));
    }
  }
  expect(errors).toEqual([]);
}, 120_000);
