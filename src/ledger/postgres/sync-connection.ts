import { createRequire } from "node:module";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { maskSecrets } from "../location.js";
import { toPostgresSql } from "./pg-sql.js";
import { SYNC_WORKER_SOURCE } from "./sync-worker.js";

type Scalar = string | number | bigint | null | boolean | Buffer;
/** A value, or an array of them (a Postgres array parameter: `unnest($1::text[])`). */
type Param = Scalar | readonly (string | number | boolean | null)[];
type Reply =
  | { ok: true; rows: unknown[][]; fields: [string, number][]; rowCount: number }
  | { ok: false; message: string; code?: string };

/** Postgres integer and numeric type ids: sent as text by the worker, made numbers (or bigints) here. */
const INTEGER_TYPES = new Set([20, 21, 23, 1700]);
/** A query that takes longer is abandoned with an error rather than hanging the command. */
const QUERY_TIMEOUT_MS = 300_000;

/** A failure reported by the server (or the connection), with its SQLSTATE and the ledger named, masked. */
export class PgQueryError extends Error {
  override readonly name = "PgQueryError";
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}

/**
 * A synchronous connection to a Postgres ledger with the query surface of a better-sqlite3 `Database`
 * (`prepare(sql).raw().pluck().safeIntegers().all/get/run`, `transaction(fn)`, `exec`, `close`), so the
 * report, dashboard, KPI, reconcile and export queries run unchanged on either ledger (docs/fleet.md). A
 * worker thread holds the `pg` client; each query blocks this thread until the worker answers, exactly as
 * better-sqlite3 blocks on the file. For the CLI and the dashboard only: the SDK's call path never uses it.
 */
export class PgSyncConnection {
  readonly dialect = "postgres" as const;
  readonly label: string;
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #flag: Int32Array;
  #open = true;

  constructor(url: string) {
    this.label = maskSecrets(url);
    const { port1, port2 } = new MessageChannel();
    this.#flag = new Int32Array(new SharedArrayBuffer(4));
    const pgPath = createRequire(import.meta.url).resolve("pg");
    this.#worker = new Worker(SYNC_WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, flag: this.#flag, url, pgPath },
      transferList: [port2],
    });
    this.#worker.unref();
    this.#port = port1;
  }

  /** Runs one statement and waits for it. Throws PgQueryError (masked) on failure. */
  query(
    sql: string,
    params: readonly Param[] = [],
  ): { rows: unknown[][]; fields: [string, number][]; rowCount: number } {
    if (!this.#open) throw new PgQueryError(`the connection to ledger ${this.label} is closed`, undefined);
    Atomics.store(this.#flag, 0, 0);
    this.#port.postMessage({
      op: "query",
      sql,
      params: params.map((p) => (typeof p === "bigint" ? p.toString() : p)),
    });
    const reply = this.#wait();
    if (!reply.ok) throw new PgQueryError(maskSecrets(reply.message), reply.code);
    return reply;
  }

  prepare(sql: string): PgStatement {
    return new PgStatement(this, sql);
  }

  /** Runs statements with no parameters (DDL, several at once). */
  exec(sql: string): this {
    this.query(sql);
    return this;
  }

  /**
   * `db.transaction(fn)` as better-sqlite3 has it: a function that runs `fn` between BEGIN and COMMIT (ROLLBACK
   * if it throws); `.immediate`/`.deferred`/`.exclusive` are the same transaction here.
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R) {
    const run = (...args: A): R => {
      this.query("BEGIN");
      try {
        const result = fn(...args);
        this.query("COMMIT");
        return result;
      } catch (error) {
        try {
          this.query("ROLLBACK");
        } catch {
          // The connection is gone: the server rolled back.
        }
        throw error;
      }
    };
    return Object.assign(run, { immediate: run, deferred: run, exclusive: run });
  }

  /** Settings of SQLite; a Postgres ledger has none. */
  pragma(_source: string): never {
    throw new Error("PRAGMA is SQLite's; this ledger is on Postgres");
  }

  close(): void {
    if (!this.#open) return;
    try {
      Atomics.store(this.#flag, 0, 0);
      this.#port.postMessage({ op: "close", sql: "", params: [] });
      this.#wait(5_000);
    } catch {
      // Closing a broken connection: nothing left to end.
    }
    this.#open = false;
    this.#port.close();
    void this.#worker.terminate();
  }

  #wait(timeoutMs = QUERY_TIMEOUT_MS): Reply {
    const outcome = Atomics.wait(this.#flag, 0, 0, timeoutMs);
    const message = receiveMessageOnPort(this.#port);
    if (!message) {
      const why = outcome === "timed-out" ? `no answer within ${timeoutMs / 1000} s` : "the connection ended";
      throw new PgQueryError(`ledger ${this.label}: ${why}`, undefined);
    }
    return message.message as Reply;
  }
}

/** One statement, with better-sqlite3's modes: raw (arrays), pluck (first column), safeIntegers (bigint). */
export class PgStatement {
  readonly #db: PgSyncConnection;
  readonly #text: string;
  readonly #names: string[];
  #raw = false;
  #pluck = false;
  #bigints = false;

  constructor(db: PgSyncConnection, sql: string) {
    this.#db = db;
    const { text, names } = toPostgresSql(sql);
    this.#text = text;
    this.#names = names;
  }

  raw(on = true): this {
    this.#raw = on;
    return this;
  }

  pluck(on = true): this {
    this.#pluck = on;
    return this;
  }

  safeIntegers(on = true): this {
    this.#bigints = on;
    return this;
  }

  all(...params: unknown[]): unknown[] {
    const r = this.#db.query(this.#text, this.#params(params));
    return r.rows.map((row) => this.#shape(row, r.fields));
  }

  get(...params: unknown[]): unknown {
    const r = this.#db.query(this.#text, this.#params(params));
    return r.rows.length ? this.#shape(r.rows[0]!, r.fields) : undefined;
  }

  run(...params: unknown[]): { changes: number; lastInsertRowid: number } {
    return { changes: this.#db.query(this.#text, this.#params(params)).rowCount, lastInsertRowid: 0 };
  }

  /** The result's columns (the statement is run: Postgres describes a result by producing it). */
  columns(): { name: string }[] {
    return this.#db.query(this.#text, []).fields.map(([name]) => ({ name }));
  }

  /** better-sqlite3 takes values, arrays of values, or one object for `@name` placeholders. */
  #params(params: unknown[]): Param[] {
    const flat = params.flatMap((p) => (Array.isArray(p) ? p : [p]));
    if (this.#names.length > 0 && flat.length === 1 && flat[0] !== null && typeof flat[0] === "object") {
      const named = flat[0] as Record<string, Param>;
      return this.#names.map((n) => named[n] ?? null);
    }
    return flat as Param[];
  }

  #shape(row: unknown[], fields: [string, number][]): unknown {
    const values = row.map((v, i) => this.#value(v, fields[i]![1]));
    if (this.#pluck) return values[0];
    if (this.#raw) return values;
    const out: Record<string, unknown> = {};
    fields.forEach(([name], i) => {
      out[name] = values[i];
    });
    return out;
  }

  #value(v: unknown, type: number): unknown {
    if (v === null || !INTEGER_TYPES.has(type) || typeof v !== "string") return v;
    if (/[.eE]/.test(v) || v === "NaN") return Number(v);
    return this.#bigints ? BigInt(v) : Number(v);
  }
}
