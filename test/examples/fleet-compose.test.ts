// examples/fleet/docker-compose.yml without Docker (this machine has no Docker daemon): the file parses, its
// services are what docs/fleet.md says, and the very commands and environment of its services — migrate, three
// replicas of the service, the report — run here against the machine's PostgreSQL, in the compose file's order.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { freshDatabase, query, startChildIn } from "../fleet/pg-helpers.js";
import { tempDir } from "../ledger/helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const COMPOSE = `${ROOT}examples/fleet/docker-compose.yml`;

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  deploy?: { replicas?: number };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(COMPOSE, "utf8"), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;

const db = freshDatabase("compose");
const spool = tempDir("costtrail-compose-spool-");
const saved = { openai: process.env.OPENAI_API_KEY, anthropic: process.env.ANTHROPIC_API_KEY };
beforeAll(() => {
  // The replicas call the mock provider, as the compose file says they do without both keys.
  delete process.env.OPENAI_API_KEY;
  delete process.env.ANTHROPIC_API_KEY;
});
afterAll(() => {
  if (saved.openai !== undefined) process.env.OPENAI_API_KEY = saved.openai;
  if (saved.anthropic !== undefined) process.env.ANTHROPIC_API_KEY = saved.anthropic;
});

/**
 * A service's command as it runs here: the image's built CLI (dist/…/bin.js) is the same program as its source
 * under tsx; the compose network's `postgres` host is this machine's server, with a fresh database.
 */
function local(service: Service, extraEnv: Record<string, string> = {}) {
  const [node, ...args] = service.command!;
  expect(node).toBe("node");
  const argv = args.map((a) => (a === "dist/src/cli/bin.js" ? "src/cli/bin.ts" : a));
  const withTsx = argv[0] === "--import" ? argv : ["--import", "tsx", ...argv];
  const script = withTsx[2]!;
  expect(existsSync(`${ROOT}${script}`), script).toBe(true);
  const env = { ...service.environment!, ...extraEnv };
  env.COSTTRAIL_LEDGER = db.url();
  env.COSTTRAIL_SPOOL_DIR = spool;
  return startChildIn(ROOT, script, withTsx.slice(3), env);
}

describe("examples/fleet/docker-compose.yml", () => {
  it("parses: Postgres, a migrate step, three replicas of the service and a report, in that order", () => {
    expect(Object.keys(services).sort()).toEqual(["migrate", "postgres", "report", "service"]);
    expect(services.postgres!.image).toMatch(/^postgres:\d+/);
    expect(services.service!.deploy?.replicas).toBe(3);
    expect(services.migrate!.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    expect(services.service!.depends_on).toEqual({
      migrate: { condition: "service_completed_successfully" },
    });
    expect(services.report!.depends_on).toEqual({ service: { condition: "service_completed_successfully" } });
    for (const name of ["migrate", "service", "report"]) {
      const s = services[name]!;
      expect(s.build, name).toEqual({ context: "../..", dockerfile: "examples/fleet/Dockerfile" });
      expect(existsSync(`${ROOT}${s.build!.dockerfile}`)).toBe(true);
      // One ledger for all, password from PGPASSWORD (not in the URL), the spool on a volume.
      expect(s.environment!.COSTTRAIL_LEDGER).toBe("postgres://costtrail@postgres:5432/costs");
      expect(s.environment!.PGPASSWORD).toBe(services.postgres!.environment!.POSTGRES_PASSWORD);
      expect(s.volumes).toEqual(["spool:/spool"]);
      expect(s.environment!.COSTTRAIL_SPOOL_DIR).toBe("/spool");
    }
    expect(Object.keys(compose.volumes)).toEqual(["spool"]);
  });

  it("its services' commands, run here in its order, give one ledger and one fleet report", async () => {
    const migrate = local(services.migrate!);
    expect(await migrate.exited, migrate.stderr()).toEqual({ code: 0, signal: null });
    expect(migrate.stdout()).toMatch(/schema version 0 -> \d+/);

    // Three replicas at once; in containers each is its own host name, here REPLICA names it.
    const replicas = [1, 2, 3].map((i) => local(services.service!, { REPLICA: `replica-${i}`, CALLS: "30" }));
    const exits = await Promise.all(replicas.map((r) => r.exited));
    replicas.forEach((r, i) => {
      expect(exits[i], r.stderr()).toEqual({ code: 0, signal: null });
      expect(r.stderr()).toBe("");
      expect(r.stdout()).toContain(
        `replica-${i + 1}: 30 calls recorded in postgres://postgres@127.0.0.1:5432/`,
      );
    });
    const rows = await query<{ account_name: string; n: string }>(
      db.url(),
      "SELECT account_name, count(*) AS n FROM events GROUP BY account_name ORDER BY account_name",
    );
    expect(rows.map((r) => [r.account_name, Number(r.n)])).toEqual([
      ["replica-1", 30],
      ["replica-2", 30],
      ["replica-3", 30],
    ]);

    const report = local(services.report!);
    expect(await report.exited, report.stderr()).toEqual({ code: 0, signal: null });
    for (const account of ["replica-1", "replica-2", "replica-3"]) {
      expect(report.stdout()).toMatch(new RegExp(`^${account}\\s+30\\s`, "m"));
    }
  }, 240_000);
});
