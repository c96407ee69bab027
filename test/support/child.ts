import { type ChildProcess, spawn } from "node:child_process";

export interface TsxChild {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a TypeScript script in a child process (through tsx), collecting its output as it arrives. */
export function startTsxChild(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): TsxChild {
  const proc = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("close", (code, signal) => resolve({ code, signal })),
  );
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Polls `check` every 10 ms until it holds, or throws after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
