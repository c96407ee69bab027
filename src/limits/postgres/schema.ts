import type { Pool } from "pg";

/** Bump when the DDL below changes; every process compares it under the advisory lock (docs/limits.md). */
export const LIMIT_SCHEMA_VERSION = 1;

/** The advisory lock around the limit tables' DDL, distinct from the event ledger's own migration lock. */
export const LIMIT_SCHEMA_LOCK = 7_166_002_001;

// Money is bigint nano-USD. Times are ms since the epoch; reservation expiry uses the database's clock, so
// every process of the fleet agrees on what has lapsed whatever their own clocks say.
const DDL = `
CREATE TABLE IF NOT EXISTS costtrail_limits (
  id text PRIMARY KEY,
  max_nanos bigint NOT NULL CHECK (max_nanos >= 0),
  window_kind text NOT NULL,
  mode text NOT NULL,
  alert_at_pct double precision,
  scope_user_id text,
  scope_account_name text,
  scope_use_case_name text,
  source text NOT NULL,
  updated_ms bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS costtrail_limit_meta (key text PRIMARY KEY, value bigint NOT NULL);
INSERT INTO costtrail_limit_meta (key, value) VALUES ('version', 0) ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION costtrail_limits_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE costtrail_limit_meta SET value = value + 1 WHERE key = 'version';
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS costtrail_limits_changed ON costtrail_limits;
CREATE TRIGGER costtrail_limits_changed AFTER INSERT OR UPDATE OR DELETE ON costtrail_limits
  FOR EACH STATEMENT EXECUTE FUNCTION costtrail_limits_bump();

-- One row per (limit, window): its settled spend. Reservations of a block limit lock this row.
CREATE TABLE IF NOT EXISTS costtrail_limit_windows (
  limit_id text NOT NULL,
  window_start_ms bigint NOT NULL,
  spent_nanos bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (limit_id, window_start_ms)
);

-- One row per (call, limit). Live while expires_ms > now; settled or released rows keep the row (expires_ms
-- set to the settle time) as a tombstone so that a retried settlement is not counted twice.
CREATE TABLE IF NOT EXISTS costtrail_limit_reservations (
  limit_id text NOT NULL,
  window_start_ms bigint NOT NULL,
  owner text NOT NULL,
  seq bigint NOT NULL,
  nanos bigint NOT NULL,
  created_ms bigint NOT NULL,
  expires_ms bigint NOT NULL,
  settled_ms bigint,
  PRIMARY KEY (limit_id, window_start_ms, owner, seq)
);
CREATE INDEX IF NOT EXISTS costtrail_limit_reservations_live
  ON costtrail_limit_reservations (limit_id, window_start_ms, expires_ms) INCLUDE (nanos);
CREATE INDEX IF NOT EXISTS costtrail_limit_reservations_owner
  ON costtrail_limit_reservations (owner, seq);
CREATE INDEX IF NOT EXISTS costtrail_limit_reservations_expiry ON costtrail_limit_reservations (expires_ms);

CREATE TABLE IF NOT EXISTS costtrail_limit_alerts (
  limit_id text NOT NULL,
  window_start_ms bigint NOT NULL,
  threshold_pct double precision NOT NULL,
  fired_ms bigint NOT NULL,
  PRIMARY KEY (limit_id, window_start_ms, threshold_pct)
);

CREATE OR REPLACE FUNCTION costtrail_now_ms() RETURNS bigint LANGUAGE sql VOLATILE AS $$
  SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint
$$;

-- Reserve p_nanos in every given (limit, window) at once, or in none. Block limits' window rows are locked in
-- one fixed order (no deadlock between calls naming several limits), then checked in the caller's order:
-- settled spend + live reservations + this one must stay within p_max. Returns (0, 0) when reserved, else
-- (1-based index of the first block limit that would be exceeded, its settled spend).
CREATE OR REPLACE FUNCTION costtrail_reserve(
  p_ids text[], p_windows bigint[], p_max bigint[], p_block boolean[],
  p_owner text, p_seq bigint, p_nanos bigint, p_ttl_ms bigint, p_max_age_ms bigint
) RETURNS TABLE (blocked_index integer, spent_nanos bigint) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  now_ms bigint := costtrail_now_ms();
  n integer := coalesce(array_length(p_ids, 1), 0);
  r record;
  spent bigint;
  reserved bigint;
BEGIN
  FOR r IN SELECT u.id, u.ws FROM unnest(p_ids, p_windows, p_block) AS u(id, ws, block)
           WHERE u.block ORDER BY u.id, u.ws LOOP
    PERFORM 1 FROM costtrail_limit_windows w
      WHERE w.limit_id = r.id AND w.window_start_ms = r.ws FOR UPDATE;
    IF NOT FOUND THEN
      INSERT INTO costtrail_limit_windows (limit_id, window_start_ms) VALUES (r.id, r.ws) ON CONFLICT DO NOTHING;
      PERFORM 1 FROM costtrail_limit_windows w
        WHERE w.limit_id = r.id AND w.window_start_ms = r.ws FOR UPDATE;
    END IF;
  END LOOP;
  FOR i IN 1..n LOOP
    CONTINUE WHEN NOT p_block[i];
    SELECT w.spent_nanos INTO spent FROM costtrail_limit_windows w
      WHERE w.limit_id = p_ids[i] AND w.window_start_ms = p_windows[i];
    SELECT coalesce(sum(x.nanos), 0) INTO reserved FROM costtrail_limit_reservations x
      WHERE x.limit_id = p_ids[i] AND x.window_start_ms = p_windows[i] AND x.expires_ms > now_ms;
    IF spent + reserved + p_nanos > p_max[i] THEN
      blocked_index := i;
      spent_nanos := spent;
      RETURN NEXT;
      RETURN;
    END IF;
  END LOOP;
  INSERT INTO costtrail_limit_reservations (limit_id, window_start_ms, owner, seq, nanos, created_ms, expires_ms)
    SELECT u.id, u.ws, p_owner, p_seq, p_nanos, now_ms, now_ms + least(p_ttl_ms, p_max_age_ms)
    FROM unnest(p_ids, p_windows) AS u(id, ws);
  blocked_index := 0;
  spent_nanos := 0;
  RETURN NEXT;
END $$;

-- The call's real cost replaces its reservation, once: the reservation row becomes a tombstone, and a
-- settlement that finds a tombstone already (a retry after a lost answer) adds nothing. A call that never got
-- a reservation (the store was down, limitsWhenLedgerDown "allow") is settled the same way: its tombstone is
-- inserted. Returns each window's spend after the settlement, for the windows it added to.
CREATE OR REPLACE FUNCTION costtrail_settle(
  p_ids text[], p_windows bigint[], p_owner text, p_seq bigint, p_cost bigint
) RETURNS TABLE (limit_id text, window_start_ms bigint, spent_nanos bigint) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  now_ms bigint := costtrail_now_ms();
  r record;
  spent bigint;
BEGIN
  FOR r IN SELECT u.id, u.ws FROM unnest(p_ids, p_windows) AS u(id, ws) ORDER BY u.id, u.ws LOOP
    UPDATE costtrail_limit_reservations x SET expires_ms = now_ms, settled_ms = now_ms
      WHERE x.limit_id = r.id AND x.window_start_ms = r.ws AND x.owner = p_owner AND x.seq = p_seq
        AND x.settled_ms IS NULL;
    IF NOT FOUND THEN
      INSERT INTO costtrail_limit_reservations AS x
          (limit_id, window_start_ms, owner, seq, nanos, created_ms, expires_ms, settled_ms)
        VALUES (r.id, r.ws, p_owner, p_seq, 0, now_ms, now_ms, now_ms) ON CONFLICT DO NOTHING;
      CONTINUE WHEN NOT FOUND;
    END IF;
    INSERT INTO costtrail_limit_windows AS w (limit_id, window_start_ms, spent_nanos) VALUES (r.id, r.ws, p_cost)
      ON CONFLICT ON CONSTRAINT costtrail_limit_windows_pkey
      DO UPDATE SET spent_nanos = w.spent_nanos + excluded.spent_nanos
      RETURNING w.spent_nanos INTO spent;
    limit_id := r.id;
    window_start_ms := r.ws;
    spent_nanos := spent;
    RETURN NEXT;
  END LOOP;
END $$;
`;

const VERSION_TABLE =
  "CREATE TABLE IF NOT EXISTS costtrail_limit_schema (id integer PRIMARY KEY, version integer NOT NULL)";
const READ_VERSION = "SELECT version FROM costtrail_limit_schema WHERE id = 1";
const HAS_VERSION_TABLE = "SELECT to_regclass('costtrail_limit_schema') IS NOT NULL AS present";
const WRITE_VERSION = `INSERT INTO costtrail_limit_schema (id, version) VALUES (1, $1)
  ON CONFLICT (id) DO UPDATE SET version = excluded.version`;

/**
 * Creates or upgrades the limit tables and functions, once across every process starting at the same moment:
 * the DDL runs under a session advisory lock, and only when the recorded version is older than this one.
 */
export async function ensureLimitSchema(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // Fast path, no lock and no DDL: the common case on every start, and all a role without DDL rights may do
    // once `costtrail migrate` has run.
    const present = await client.query<{ present: boolean }>(HAS_VERSION_TABLE);
    if (present.rows[0]?.present) {
      const seen = await client.query<{ version: number }>(READ_VERSION);
      if ((seen.rows[0]?.version ?? 0) >= LIMIT_SCHEMA_VERSION) return;
    }
    await client.query("SELECT pg_advisory_lock($1)", [LIMIT_SCHEMA_LOCK]);
    try {
      await client.query(VERSION_TABLE);
      const current = await client.query<{ version: number }>(READ_VERSION);
      if ((current.rows[0]?.version ?? 0) >= LIMIT_SCHEMA_VERSION) return;
      await client.query("BEGIN");
      try {
        await client.query(DDL);
        await client.query(WRITE_VERSION, [LIMIT_SCHEMA_VERSION]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [LIMIT_SCHEMA_LOCK]).catch(() => {});
    }
  } finally {
    client.release();
  }
}

/** What `ensureLimitSchemaSync` needs: one statement at a time, answered synchronously (the CLI's connection). */
export interface SyncQueryable {
  query(sql: string, params?: readonly unknown[]): { rows: unknown[][] };
}

/**
 * `ensureLimitSchema` on the CLI's synchronous connection (`costtrail migrate`, `costtrail limits set`): the same
 * lock, version check and DDL, so a command and starting apps never both apply it.
 */
export function ensureLimitSchemaSync(db: SyncQueryable): void {
  if (db.query(HAS_VERSION_TABLE).rows[0]?.[0]) {
    if (Number(db.query(READ_VERSION).rows[0]?.[0] ?? 0) >= LIMIT_SCHEMA_VERSION) return;
  }
  db.query("SELECT pg_advisory_lock($1)", [LIMIT_SCHEMA_LOCK]);
  try {
    db.query(VERSION_TABLE);
    const current = Number(db.query(READ_VERSION).rows[0]?.[0] ?? 0);
    if (current >= LIMIT_SCHEMA_VERSION) return;
    db.query("BEGIN");
    try {
      db.query(DDL);
      db.query(WRITE_VERSION, [LIMIT_SCHEMA_VERSION]);
      db.query("COMMIT");
    } catch (error) {
      try {
        db.query("ROLLBACK");
      } catch {
        // Connection gone: the server rolled back.
      }
      throw error;
    }
  } finally {
    try {
      db.query("SELECT pg_advisory_unlock($1)", [LIMIT_SCHEMA_LOCK]);
    } catch {
      // The session ends with the command, and its lock with it.
    }
  }
}
