// A fresh database on the machine's real PostgreSQL per test file, dropped after (GUIDE: never skipped).
import { randomBytes } from "node:crypto";
import pg from "pg";

export const PG_SERVER = process.env["COSTTRAIL_TEST_PG"] ?? "postgres://postgres@127.0.0.1:5432";

export interface TestDatabase {
  url: string;
  name: string;
  query<T extends pg.QueryResultRow = any>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = "ct_reserve"): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: `${PG_SERVER}/test` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = `${PG_SERVER}/${name}`;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    url,
    name,
    async query(sql, params) {
      return (await pool.query(sql, params as never)).rows;
    },
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: `${PG_SERVER}/test` });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Polls until `check` holds (sync or async); settlements and releases are written off the call path. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
