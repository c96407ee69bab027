import { transform } from "esbuild";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

// Vite 8's oxc transform does not lower TC39 decorators; esbuild does. Run it first on TS files that use them.
function tc39Decorators(): Plugin {
  return {
    name: "costtrail:tc39-decorators",
    enforce: "pre",
    async transform(code, id) {
      if (!/\.[cm]?tsx?$/.test(id) || id.includes("node_modules") || !/^\s*@\w/m.test(code)) return null;
      const out = await transform(code, {
        loader: id.endsWith("x") ? "tsx" : "ts",
        target: "es2022",
        format: "esm",
        sourcemap: true,
        sourcefile: id,
        tsconfigRaw: { compilerOptions: { experimentalDecorators: false, useDefineForClassFields: true } },
      });
      return { code: out.code, map: out.map };
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [tc39Decorators()],
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/legacy/**", "test/browser/**", "test/examples/**"],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        // Legacy `experimentalDecorators` + `emitDecoratorMetadata`, as NestJS apps compile.
        oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } } as never,
        test: { name: "legacy", include: ["test/legacy/**/*.test.ts"], testTimeout: 20_000 },
      },
      {
        plugins: [tc39Decorators()],
        test: {
          name: "e2e",
          include: ["test/browser/**/*.test.ts", "test/examples/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
