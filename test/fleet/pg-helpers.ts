import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import type { TsxChild } from "../support/child.js";

/** The machine's PostgreSQL (trust auth, user postgres), as docs/testing.md and .ci/run set it up. */
export const MAIN_SERVER = "postgres://postgres@127.0.0.1:5432";

async function admin<T>(server: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${server}/postgres` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own for one test file, on `server` (default: the machine's), created before its tests
 * and dropped after them. `url()` is its connection URL.
 */
export function freshDatabase(
  prefix: string,
  server: () => string = () => MAIN_SERVER,
): { url: () => string; name: string } {
  const name = `ct_fleet_${prefix}_${randomBytes(4).toString("hex")}`;
  beforeAll(async () => {
    await admin(server(), (c) => c.query(`CREATE DATABASE ${name}`));
  });
  afterAll(async () => {
    await admin(server(), (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => {});
  });
  return { url: () => `${server()}/${name}`, name };
}

/** Runs one query on `url` and returns its rows. */
export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const version = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error(`no PostgreSQL binaries under ${root}`);
  return join(root, version, "bin");
}

/** As the postgres OS user when we are root: initdb and postgres refuse to run as root. */
function asPostgres(cmd: string, args: string[]): string {
  const argv = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", cmd, ...args] : [cmd, ...args];
  return execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A role on the throwaway server that must log in with this password (scram-sha-256); every other role is trusted. */
export const PASSWORD_ROLE = { user: "ct_secret_user", password: "right-Pa55word" };

export interface ThrowawayServer {
  /** postgres://postgres@127.0.0.1:<port> (no database). */
  server: () => string;
  stop(): void;
  start(): void;
}

/**
 * A PostgreSQL instance of this test file only (initdb in a temp dir, a free port, trust auth), so a test can
 * stop and start it; the machine's own cluster is never touched. Removed after the file's tests.
 */
export function throwawayServer(): ThrowawayServer {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "ct-fleet-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const log = join(dir, "log");
  let port = 0;
  const pgCtl = (...args: string[]) => asPostgres(join(bin, "pg_ctl"), ["-D", data, ...args]);
  const handle: ThrowawayServer = {
    server: () => `postgres://postgres@127.0.0.1:${port}`,
    stop: () => void pgCtl("stop", "-m", "fast", "-w"),
    start: () =>
      void pgCtl(
        "start",
        "-w",
        "-l",
        log,
        "-o",
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      ),
  };
  beforeAll(async () => {
    port = await freePort();
    asPostgres(join(bin, "initdb"), [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
    ]);
    writeFileSync(
      join(data, "pg_hba.conf"),
      `local all all trust\nhost all ${PASSWORD_ROLE.user} 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n`,
    );
    handle.start();
    await admin(handle.server(), (c) =>
      c.query(`CREATE ROLE ${PASSWORD_ROLE.user} LOGIN SUPERUSER PASSWORD '${PASSWORD_ROLE.password}'`),
    );
  }, 60_000);
  afterAll(() => {
    try {
      handle.stop();
    } catch {
      // Already stopped.
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return handle;
}

const TSX = createRequire(import.meta.url).resolve("tsx");

/** A TypeScript child (through tsx) in `cwd`, so whatever it writes locally (its spool) stays in a temp dir. */
export function startChildIn(cwd: string, script: string, args: string[], env: NodeJS.ProcessEnv): TsxChild {
  const proc = spawn(process.execPath, ["--import", pathToFileURL(TSX).href, script, ...args], {
    cwd,
    env: { ...process.env, ...env },
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
