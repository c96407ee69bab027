import type { Pool } from "pg";

/** Bump when the DDL below changes; every process compares it under the advisory lock (docs/limits.md). */
export const LIMIT_SCHEMA_VERSION = 2;

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

-- One row per (limit, window): its settled spend, and the sum of its block reservations still counted
-- (reserved_nanos), so that a reservation reads one row instead of summing the reservations table. A counted
-- reservation stops counting when it is settled or released (by that statement) or lapses (by the sweep the
-- next reservation makes once recount_at_ms has passed: no counted reservation expires before it).
-- Reservations of a block limit lock this row.
CREATE TABLE IF NOT EXISTS costtrail_limit_windows (
  limit_id text NOT NULL,
  window_start_ms bigint NOT NULL,
  spent_nanos bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (limit_id, window_start_ms)
);
ALTER TABLE costtrail_limit_windows
  ADD COLUMN IF NOT EXISTS reserved_nanos bigint NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS recount_at_ms bigint NOT NULL DEFAULT 0;

-- One row per (call, limit). Live while expires_ms > now; settled or released rows keep the row (expires_ms
-- set to the settle time) as a tombstone so that a retried settlement is not counted twice. counted: the row's
-- nanos are in its window's reserved_nanos while it is not settled (block limits only; changed only under
-- that window row's lock): settling a row takes it out of the sum, and a settlement reads counted to know
-- whether to subtract it.
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
ALTER TABLE costtrail_limit_reservations ADD COLUMN IF NOT EXISTS counted boolean NOT NULL DEFAULT false;
-- Every index here is paid by each reservation and settlement; the hot path uses the primary key and the
-- partial index of counted rows (the sweep). The CLI's figures scan a window's rows by the primary key.
DROP INDEX IF EXISTS costtrail_limit_reservations_live;
CREATE INDEX IF NOT EXISTS costtrail_limit_reservations_counted
  ON costtrail_limit_reservations (limit_id, window_start_ms, expires_ms) INCLUDE (nanos)
  WHERE counted AND settled_ms IS NULL;
CREATE INDEX IF NOT EXISTS costtrail_limit_reservations_owner
  ON costtrail_limit_reservations (owner, seq);
CREATE INDEX IF NOT EXISTS costtrail_limit_reservations_expiry ON costtrail_limit_reservations (expires_ms);
-- From version 1 (sums read at each reservation): live block reservations count, each window recounts.
UPDATE costtrail_limit_reservations x SET counted = true
  FROM costtrail_limits l
  WHERE l.id = x.limit_id AND l.mode = 'block' AND x.settled_ms IS NULL AND NOT x.counted
    AND x.expires_ms > (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
UPDATE costtrail_limit_windows SET recount_at_ms = 0;

CREATE TABLE IF NOT EXISTS costtrail_limit_alerts (
  limit_id text NOT NULL,
  window_start_ms bigint NOT NULL,
  threshold_pct double precision NOT NULL,
  fired_ms bigint NOT NULL,
  PRIMARY KEY (limit_id, window_start_ms, threshold_pct)
);

-- The functions below that take arrays run with plan_cache_mode = force_generic_plan: their statements' plans
-- do not depend on the arrays' contents, and Postgres would otherwise plan them again at every call (several
-- times what executing them costs, measured: docs/benchmarks.md, fleet section).
CREATE OR REPLACE FUNCTION costtrail_now_ms() RETURNS bigint LANGUAGE sql VOLATILE AS $$
  SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint
$$;

-- Locks one window row (created at 0 if new), sweeping its lapsed reservations first when one may have
-- lapsed: they stop counting, and reserved_nanos is recounted from the rows still counted (which also heals
-- what a deleted row or an older costtrail left behind). Returns (spent, reserved) under the lock.
CREATE OR REPLACE FUNCTION costtrail_lock_window(p_id text, p_ws bigint, p_now_ms bigint,
  OUT spent bigint, OUT reserved bigint) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  recount_at bigint;
BEGIN
  SELECT w.spent_nanos, w.reserved_nanos, w.recount_at_ms INTO spent, reserved, recount_at
    FROM costtrail_limit_windows w WHERE w.limit_id = p_id AND w.window_start_ms = p_ws FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO costtrail_limit_windows (limit_id, window_start_ms, recount_at_ms)
      VALUES (p_id, p_ws, 9223372036854775807) ON CONFLICT DO NOTHING;
    SELECT w.spent_nanos, w.reserved_nanos, w.recount_at_ms INTO spent, reserved, recount_at
      FROM costtrail_limit_windows w WHERE w.limit_id = p_id AND w.window_start_ms = p_ws FOR UPDATE;
  END IF;
  IF recount_at <= p_now_ms THEN
    UPDATE costtrail_limit_reservations x SET counted = false
      WHERE x.limit_id = p_id AND x.window_start_ms = p_ws AND x.counted AND x.settled_ms IS NULL
        AND x.expires_ms <= p_now_ms;
    SELECT coalesce(sum(x.nanos), 0)::bigint, coalesce(min(x.expires_ms), 9223372036854775807)
      INTO reserved, recount_at
      FROM costtrail_limit_reservations x
      WHERE x.limit_id = p_id AND x.window_start_ms = p_ws AND x.counted AND x.settled_ms IS NULL;
    UPDATE costtrail_limit_windows w SET reserved_nanos = reserved, recount_at_ms = recount_at
      WHERE w.limit_id = p_id AND w.window_start_ms = p_ws;
  END IF;
END $$;

-- Reserve for several calls of one process in one statement (calls that arrive while the previous statement is
-- on its way go together: one lock and one commit per window for all of them). Entries are (call, limit,
-- window, max, block), grouped by call in the calls' order; p_seqs and p_nanos are per call. Each call reserves
-- in every one of its (limit, window)s at once, or in none. Block limits' window rows are locked in one fixed
-- order (no deadlock between statements naming several limits), then each call is checked in turn, in its own
-- limits' order, against settled spend + counted reservations + the calls before it that fit + its own. Allow
-- limits lock nothing (they never refuse); their rows are kept for the figures. Returns a row per call: 0 when
-- reserved, else the 1-based index (among its entries) of the first block limit it would exceed, and that
-- limit's settled spend.
CREATE OR REPLACE FUNCTION costtrail_reserve_calls(
  p_calls integer[], p_ids text[], p_windows bigint[], p_max bigint[], p_block boolean[],
  p_owner text, p_seqs bigint[], p_nanos bigint[], p_ttl_ms bigint, p_max_age_ms bigint
) RETURNS TABLE (call_no integer, blocked_index integer, spent_nanos bigint) LANGUAGE plpgsql VOLATILE
  SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  now_ms bigint := costtrail_now_ms();
  expires bigint := now_ms + least(p_ttl_ms, p_max_age_ms);
  m integer := coalesce(array_length(p_ids, 1), 0);
  k integer := 0;
  w_id text[] := '{}';
  w_ws bigint[] := '{}';
  w_spent bigint[] := '{}';
  w_used bigint[] := '{}';
  w_add bigint[] := '{}';
  slot integer[] := array_fill(0, ARRAY[m]);
  ok boolean[] := array_fill(false, ARRAY[coalesce(array_length(p_seqs, 1), 0)]);
  r record;
  lw record;
  e integer := 1;
  first integer;
  c integer;
  x integer;
BEGIN
  FOR r IN SELECT DISTINCT u.id, u.ws FROM unnest(p_ids, p_windows, p_block) AS u(id, ws, block)
           WHERE u.block ORDER BY u.id, u.ws LOOP
    SELECT * INTO lw FROM costtrail_lock_window(r.id, r.ws, now_ms);
    k := k + 1;
    w_id[k] := r.id;
    w_ws[k] := r.ws;
    w_spent[k] := lw.spent;
    w_used[k] := lw.spent + lw.reserved;
    w_add[k] := 0;
  END LOOP;
  -- Each entry's window (0 for allow limits), by a join rather than a loop in a loop: a statement may carry
  -- hundreds of calls, each with limits of its own.
  IF k > 0 THEN
    SELECT array_agg(coalesce(w.j, 0)::integer ORDER BY e.i) INTO slot
      FROM unnest(p_ids, p_windows, p_block) WITH ORDINALITY AS e(id, ws, block, i)
      LEFT JOIN unnest(w_id, w_ws) WITH ORDINALITY AS w(id, ws, j) ON e.block AND w.id = e.id AND w.ws = e.ws;
  END IF;
  WHILE e <= m LOOP
    c := p_calls[e];
    first := e;
    WHILE e <= m AND p_calls[e] = c LOOP
      e := e + 1;
    END LOOP;
    call_no := c;
    blocked_index := 0;
    spent_nanos := 0;
    FOR i IN first..e - 1 LOOP
      x := slot[i];
      CONTINUE WHEN x = 0;
      IF w_used[x] + p_nanos[c] > p_max[i] THEN
        blocked_index := i - first + 1;
        spent_nanos := w_spent[x];
        EXIT;
      END IF;
    END LOOP;
    IF blocked_index = 0 THEN
      ok[c] := true;
      FOR i IN first..e - 1 LOOP
        x := slot[i];
        CONTINUE WHEN x = 0;
        w_used[x] := w_used[x] + p_nanos[c];
        w_add[x] := w_add[x] + p_nanos[c];
      END LOOP;
    END IF;
    RETURN NEXT;
  END LOOP;
  INSERT INTO costtrail_limit_reservations
      (limit_id, window_start_ms, owner, seq, nanos, created_ms, expires_ms, counted)
    SELECT u.id, u.ws, p_owner, p_seqs[u.c], p_nanos[u.c], now_ms, expires, u.block
    FROM unnest(p_calls, p_ids, p_windows, p_block) AS u(c, id, ws, block) WHERE ok[u.c];
  FOR j IN 1..k LOOP
    CONTINUE WHEN w_add[j] = 0;
    UPDATE costtrail_limit_windows w
      SET reserved_nanos = w.reserved_nanos + w_add[j], recount_at_ms = least(w.recount_at_ms, expires)
      WHERE w.limit_id = w_id[j] AND w.window_start_ms = w_ws[j];
  END LOOP;
END $$;

-- One call's reservation (costtrail_reserve_calls for one call; the statement of limit schema version 1's
-- processes, so that they reserve the same way during a rolling upgrade). Returns (0, 0) when reserved, else
-- (1-based index of the first block limit that would be exceeded, its settled spend).
CREATE OR REPLACE FUNCTION costtrail_reserve(
  p_ids text[], p_windows bigint[], p_max bigint[], p_block boolean[],
  p_owner text, p_seq bigint, p_nanos bigint, p_ttl_ms bigint, p_max_age_ms bigint
) RETURNS TABLE (blocked_index integer, spent_nanos bigint) LANGUAGE sql VOLATILE AS $$
  SELECT r.blocked_index, r.spent_nanos FROM costtrail_reserve_calls(
    array_fill(1, ARRAY[coalesce(array_length(p_ids, 1), 0)]), p_ids, p_windows, p_max, p_block,
    p_owner, ARRAY[p_seq], ARRAY[p_nanos], p_ttl_ms, p_max_age_ms) AS r
$$;

-- Calls' real costs replace their reservations, once each: a reservation row becomes a tombstone, and a
-- settlement that finds a tombstone already (a retry after a lost answer) adds nothing. A call that never got
-- a reservation (the store was down, limitsWhenLedgerDown "allow") is settled the same way: its tombstone is
-- inserted. A release is a settlement of 0. Entries are (call, limit, window); p_seqs and p_costs are per call.
-- Every window row is locked before any reservation row, in the same order as costtrail_reserve_calls, so the
-- two never deadlock. Returns, per window it added to, its spend after the settlement.
CREATE OR REPLACE FUNCTION costtrail_settle_calls(
  p_calls integer[], p_ids text[], p_windows bigint[], p_owner text, p_seqs bigint[], p_costs bigint[]
) RETURNS TABLE (limit_id text, window_start_ms bigint, spent_nanos bigint) LANGUAGE plpgsql VOLATILE
  SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  now_ms bigint := costtrail_now_ms();
  r record;
  held bigint;
  was_counted boolean;
BEGIN
  FOR r IN SELECT DISTINCT u.id, u.ws FROM unnest(p_ids, p_windows) AS u(id, ws) ORDER BY u.id, u.ws LOOP
    PERFORM costtrail_lock_window(r.id, r.ws, now_ms);
  END LOOP;
  -- Row by row, each statement by its key: never a plan that scans the process's rows (they grow with its
  -- tombstones).
  FOR r IN SELECT u.id, u.ws, p_seqs[u.c] AS seq, p_costs[u.c] AS cost
           FROM unnest(p_calls, p_ids, p_windows) AS u(c, id, ws) LOOP
    UPDATE costtrail_limit_reservations x SET expires_ms = now_ms, settled_ms = now_ms
      WHERE x.limit_id = r.id AND x.window_start_ms = r.ws AND x.owner = p_owner AND x.seq = r.seq
        AND x.settled_ms IS NULL
      RETURNING x.nanos, x.counted INTO held, was_counted;
    IF NOT FOUND THEN
      INSERT INTO costtrail_limit_reservations AS x
          (limit_id, window_start_ms, owner, seq, nanos, created_ms, expires_ms, settled_ms)
        VALUES (r.id, r.ws, p_owner, r.seq, 0, now_ms, now_ms, now_ms) ON CONFLICT DO NOTHING;
      CONTINUE WHEN NOT FOUND;
      was_counted := false;
    END IF;
    UPDATE costtrail_limit_windows w
      SET spent_nanos = w.spent_nanos + r.cost,
          reserved_nanos = w.reserved_nanos - CASE WHEN was_counted THEN held ELSE 0 END
      WHERE w.limit_id = r.id AND w.window_start_ms = r.ws
      RETURNING w.limit_id, w.window_start_ms, w.spent_nanos INTO limit_id, window_start_ms, spent_nanos;
    RETURN NEXT;
  END LOOP;
END $$;

-- One call's settlement (costtrail_settle_calls for one call; limit schema version 1's statement).
CREATE OR REPLACE FUNCTION costtrail_settle(
  p_ids text[], p_windows bigint[], p_owner text, p_seq bigint, p_cost bigint
) RETURNS TABLE (limit_id text, window_start_ms bigint, spent_nanos bigint) LANGUAGE sql VOLATILE AS $$
  SELECT * FROM costtrail_settle_calls(array_fill(1, ARRAY[coalesce(array_length(p_ids, 1), 0)]), p_ids,
    p_windows, p_owner, ARRAY[p_seq], ARRAY[p_cost])
$$;

-- What a process sends: the settlements and the reservations that came while its previous statement was on its
-- way, in one statement (one round trip, one commit, each window row locked once). Every window row either
-- part touches is locked first, in one fixed order; then the settlements are applied, then the reservations
-- are checked (so a call reserving just after another one settled sees the room it freed). Returns the
-- settlements' rows (limit_id, window_start_ms, spent_nanos; call_no null), then a row per reservation
-- (call_no, blocked_index, spent_nanos), as costtrail_settle_calls and costtrail_reserve_calls do.
CREATE OR REPLACE FUNCTION costtrail_apply(
  p_owner text, p_ttl_ms bigint, p_max_age_ms bigint,
  s_calls integer[], s_ids text[], s_windows bigint[], s_seqs bigint[], s_costs bigint[],
  r_calls integer[], r_ids text[], r_windows bigint[], r_max bigint[], r_block boolean[], r_seqs bigint[],
  r_nanos bigint[]
) RETURNS TABLE (call_no integer, blocked_index integer, spent_nanos bigint, limit_id text, window_start_ms bigint)
LANGUAGE plpgsql VOLATILE
  SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  now_ms bigint := costtrail_now_ms();
  r record;
BEGIN
  -- (Either part alone locks its own rows in that order.)
  IF cardinality(s_ids) > 0 AND cardinality(r_ids) > 0 THEN
    FOR r IN SELECT a.id, a.ws FROM unnest(s_ids, s_windows) AS a(id, ws)
             UNION SELECT b.id, b.ws FROM unnest(r_ids, r_windows, r_block) AS b(id, ws, block) WHERE b.block
             ORDER BY 1, 2 LOOP
      PERFORM costtrail_lock_window(r.id, r.ws, now_ms);
    END LOOP;
  END IF;
  RETURN QUERY SELECT NULL::integer, NULL::integer, s.spent_nanos, s.limit_id, s.window_start_ms
    FROM costtrail_settle_calls(s_calls, s_ids, s_windows, p_owner, s_seqs, s_costs) AS s;
  RETURN QUERY SELECT c.call_no, c.blocked_index, c.spent_nanos, NULL::text, NULL::bigint
    FROM costtrail_reserve_calls(r_calls, r_ids, r_windows, r_max, r_block, p_owner, r_seqs, r_nanos,
      p_ttl_ms, p_max_age_ms) AS c;
END $$;

-- A process ending releases all it still holds: its rows stop counting, and their windows recount at their
-- next reservation (windows locked first, in order, as everywhere).
CREATE OR REPLACE FUNCTION costtrail_release_owner(p_owner text) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  now_ms bigint := costtrail_now_ms();
BEGIN
  PERFORM 1 FROM costtrail_limit_windows w
    WHERE (w.limit_id, w.window_start_ms) IN (SELECT x.limit_id, x.window_start_ms
      FROM costtrail_limit_reservations x WHERE x.owner = p_owner AND x.settled_ms IS NULL)
    ORDER BY w.limit_id, w.window_start_ms FOR UPDATE;
  UPDATE costtrail_limit_reservations x SET expires_ms = now_ms, settled_ms = now_ms
    WHERE x.owner = p_owner AND x.settled_ms IS NULL;
  UPDATE costtrail_limit_windows w SET recount_at_ms = 0
    WHERE (w.limit_id, w.window_start_ms) IN (SELECT x.limit_id, x.window_start_ms
      FROM costtrail_limit_reservations x WHERE x.owner = p_owner AND x.settled_ms = now_ms);
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
