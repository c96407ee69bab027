/**
 * The worker side of `PgSyncConnection` (sync-connection.ts), as source text: it runs with `eval`, so it works
 * the same from the built package, from tsx and under vitest, with no file path to resolve. It holds one `pg`
 * client, runs each query it is sent, posts the answer, then wakes the waiting thread through the shared flag.
 * Integers and numerics come back as text (the main thread makes them numbers or bigints); booleans as 1/0,
 * as SQLite gives them.
 */
export const SYNC_WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const pg = require(workerData.pgPath);
const { port, flag, url } = workerData;
const AS_TEXT = new Set([20, 21, 23, 1700]);
const types = {
  getTypeParser(oid, format) {
    if (AS_TEXT.has(oid)) return (v) => v;
    if (oid === 16) return (v) => (v === "t" ? 1 : 0);
    return pg.types.getTypeParser(oid, format);
  },
};
const client = new pg.Client({ connectionString: url, types, application_name: "costtrail" });
client.on("error", () => {});
const ready = client.connect();
function answer(reply) {
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
port.on("message", async (m) => {
  try {
    await ready;
    if (m.op === "close") {
      await client.end();
      answer({ ok: true, rows: [], fields: [], rowCount: 0 });
      port.close();
      return;
    }
    const r = await client.query(m.params.length ? { text: m.sql, values: m.params, rowMode: "array" } : { text: m.sql, rowMode: "array" });
    const last = Array.isArray(r) ? r[r.length - 1] : r;
    answer({ ok: true, rows: last.rows || [], fields: (last.fields || []).map((f) => [f.name, f.dataTypeID]), rowCount: last.rowCount || 0 });
  } catch (e) {
    answer({ ok: false, message: String((e && e.message) || e), code: e && e.code });
  }
});
`;
