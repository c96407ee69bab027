import { request as httpRequest } from "node:http";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forecast } from "../../src/kpis/forecast.js";
import { kpiReport } from "../../src/kpis/report.js";
import { instanceDetail, periodTotals, spendOverTime } from "../../src/ledger/dashboard-queries.js";
import { openLedgerReadonly } from "../../src/ledger/open-database.js";
import { REPORT_KEYS, report } from "../../src/ledger/queries.js";
import { parseLimits, upsertLimits } from "../../src/limits/index.js";
import { type RunningDashboard, startDashboard } from "../../src/server/index.js";
import { NOW, ODD_INSTANCE, serverLedger } from "./fixture.js";

const { path, ledger } = serverLedger();
let dashboard: RunningDashboard;
const errors: string[] = [];

beforeAll(async () => {
  // A limit to show (the ledger file has the limit tables; a writable connection stores one definition).
  const writable = new Database(path);
  upsertLimits(
    writable,
    parseLimits([{ id: "daily", maxUsd: 10, window: "day", mode: "block", scope: { accountName: "acme" } }]),
    "config",
    NOW,
  );
  writable.close();
  dashboard = await startDashboard({
    db: ledger(),
    port: 0,
    now: () => NOW,
    logger: { error: (m) => void errors.push(m) },
  });
});
afterAll(() => dashboard?.close());

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => any;
}

/** A raw request (fetch cannot set Host or send odd methods freely). */
function get(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: dashboard.port, path, method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value));

describe("the JSON API", () => {
  it("answers /api/report with exactly what report() returns, for every key and filter", async () => {
    for (const by of REPORT_KEYS) {
      const reply = await get(`/api/report?by=${by}`);
      expect(reply.status).toBe(200);
      expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(reply.json()).toEqual(roundTrip(report(ledger(), { by, now: NOW })));
    }
    const filtered = await get("/api/report?by=instance&since=7d&until=&useCase=support&limit=1&order=cost");
    expect(filtered.json()).toEqual(
      roundTrip(report(ledger(), { by: "instance", since: "7d", useCase: "support", limit: 1, now: NOW })),
    );
    expect(filtered.json().groupCount).toBe(1);
  });

  it("answers /api/totals with the totals report() computes", async () => {
    for (const query of [
      "",
      "?since=24h",
      "?since=2025-06-01&until=2025-06-10T00:00:00Z",
      "?useCase=search",
    ]) {
      const body = (await get(`/api/totals${query}`)).json();
      const options = Object.fromEntries(new URLSearchParams(query));
      expect(body).toEqual(roundTrip(periodTotals(ledger(), { ...options, now: NOW })));
      for (const by of ["user", "tag", "instance"] as const) {
        expect(body.totals).toEqual(roundTrip(report(ledger(), { by, ...options, now: NOW }).totals));
      }
    }
    expect((await get("/api/totals")).json().totals).toMatchObject({ requests: 7, costMicros: 11_250_000 });
  });

  it("answers /api/timeseries, /api/instance/:id and /api/limits", async () => {
    expect((await get("/api/timeseries?bucket=hour&since=24h")).json()).toEqual(
      roundTrip(spendOverTime(ledger(), { bucket: "hour", since: "24h", now: NOW })),
    );
    expect((await get("/api/timeseries")).json().bucket).toBe("day");

    const instance = await get(`/api/instance/${encodeURIComponent(ODD_INSTANCE)}`);
    expect(instance.status).toBe(200);
    expect(instance.json()).toEqual(roundTrip(instanceDetail(ledger(), ODD_INSTANCE)));
    expect((await get("/api/instance/s-1?limit=1")).json().calls).toHaveLength(1);
    const missing = await get("/api/instance/nope");
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ error: 'no events for instance "nope"' });

    const limits = (await get("/api/limits")).json();
    expect(limits.limits).toHaveLength(1);
    expect(limits.limits[0]).toMatchObject({ id: "daily", maxUsd: 10, window: "day", mode: "block" });
    expect(limits.limits[0]).toHaveProperty("remainingUsd");
    expect(limits.limits[0]).toHaveProperty("state");
  });

  it("answers /api/kpis as `costtrail kpis --format json` and /api/forecast as `report --forecast`", async () => {
    for (const query of [
      "",
      "?by=version",
      "?by=account&since=7d&useCase=summarize",
      "?by=user&until=2026-01-01",
    ]) {
      const params = Object.fromEntries(new URLSearchParams(query));
      expect((await get(`/api/kpis${query}`)).json()).toEqual(
        roundTrip(kpiReport(ledger(), { ...params, now: NOW })),
      );
    }
    const badBy = await get("/api/kpis?by=model");
    expect(badBy.status).toBe(400);
    expect(badBy.json().error).toMatch(/^by: /);
    expect((await get("/api/kpis?colour=red")).status).toBe(400);

    const answer = (await get("/api/forecast")).json();
    expect(answer).toEqual(roundTrip(forecast(ledger(), { now: NOW })));
    expect(answer.limits.map((l: { id: string }) => l.id)).toEqual(["daily"]);
    expect((await get("/api/forecast?useCase=summarize")).json()).toEqual(
      roundTrip(forecast(ledger(), { now: NOW, useCase: "summarize" })),
    );
    expect((await get("/api/forecast?useCase=")).status).toBe(400);
    expect((await get("/api/forecast?since=7d")).status).toBe(400);
  });

  it("answers 400 with a message naming the parameter, never an SQL error", async () => {
    const cases: [string, RegExp][] = [
      ["/api/report?by=colour", /^by: Invalid option: expected one of "user"\|"use-case"/],
      ["/api/report", /^by: /],
      ["/api/report?by=user&since=yesterday", /^since: invalid time "yesterday"/],
      ["/api/report?by=user&until=2025-13-45", /^until: invalid time "2025-13-45"/],
      ["/api/report?by=user&since=1'%20OR%201=1", /^since: invalid time/],
      ["/api/report?by=user&limit=0", /^limit: /],
      ["/api/report?by=user&limit=ten", /^limit: /],
      ["/api/report?by=user&order=random", /^order: /],
      [
        "/api/report?by=user&now=1",
        /^unknown parameter "now"; known: by, since, until, useCase, limit, order, currency$/,
      ],
      ["/api/report?by=user&by=model", /^by: given more than once$/],
      ["/api/totals?since=next%20week", /^since: invalid time "next week"/],
      ["/api/totals?by=user", /^unknown parameter "by"/],
      ["/api/timeseries?bucket=week", /^bucket: /],
      [
        "/api/timeseries?bucket=hour&since=2025-01-01&until=2026-01-01",
        /^bucket: \d+ hour buckets is too many/,
      ],
      ["/api/timeseries?series=0", /^series: /],
      ["/api/instance/s-1?limit=-1", /^limit: /],
      ["/api/instance/%E0%A4%A", /^id: not a valid URL-encoded string$/],
      ["/api/limits?x=1", /^unknown parameter "x"$/],
      ["/api/kpis?by=model", /^by: /],
      ["/api/kpis?since=yesterday", /^since: invalid time "yesterday"/],
      ["/api/kpis?until=2025-13-45", /^until: invalid time "2025-13-45"/],
      [`/api/kpis?useCase=${"x".repeat(513)}`, /^useCase: /],
      ["/api/kpis?by=version&by=user", /^by: given more than once$/],
      ["/api/kpis?now=1", /^unknown parameter "now"; known: since, until, useCase, by$/],
      ["/api/forecast?useCase=", /^useCase: /],
      [`/api/forecast?useCase=${"x".repeat(513)}`, /^useCase: /],
      ["/api/forecast?since=7d", /^unknown parameter "since"; known: useCase$/],
      ["/api/reconciliations?provider=openai", /^unknown parameter "provider"$/],
    ];
    for (const [path, message] of cases) {
      const reply = await get(path);
      expect(reply.status, path).toBe(400);
      expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
      const { error } = reply.json();
      expect(error, path).toMatch(message);
      expect(error).not.toMatch(/SQLITE|syntax|SELECT/i);
    }
  });

  it("answers 404 for unknown routes, 405 for other methods, and HEAD without a body", async () => {
    for (const path of [
      "/api/nope",
      "/api",
      "/api/report/extra",
      "/api/constructor",
      "/api/instance",
      "/nope",
    ]) {
      expect((await get(path)).status, path).toBe(404);
    }
    expect((await get("/api/nope")).json()).toEqual({ error: "no such endpoint: /api/nope" });
    const post = await get("/api/report?by=user", {}, "POST");
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
    const head = await get("/api/totals", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    expect(Number(head.headers["content-length"])).toBeGreaterThan(0);
  });

  it("answers 500 with a generic message when the ledger fails, and logs the details", async () => {
    const broken = openLedgerReadonly(path);
    const server = await startDashboard({
      db: broken,
      port: 0,
      logger: { error: (m) => void errors.push(m) },
    });
    broken.close();
    try {
      const response = await fetch(`${server.url}api/report?by=user`);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        error: "internal error while reading the ledger (see the server's log)",
      });
      expect(errors.join("\n")).toMatch(/\/api\/report failed: .*database connection is not open/);
    } finally {
      await server.close();
    }
  });
});

describe("the page and its assets", () => {
  it("serves the page, its script and style, and Chart.js from node_modules (no CDN)", async () => {
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toMatch(/default-src 'none'; script-src 'self'/);
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    const scripts = [...page.text.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toEqual(["/favicon.svg", "/style.css", "/vendor/chart.umd.js", "/app.js"]);
    for (const asset of scripts) {
      const reply = await get(asset);
      expect(reply.status, asset).toBe(200);
    }
    expect((await get("/vendor/chart.umd.js")).headers["content-type"]).toBe(
      "text/javascript; charset=utf-8",
    );
    expect((await get("/vendor/chart.umd.js")).text).toMatch(/Chart\.js v4/);
    expect((await get("/app.js")).text).toContain("/api/report");
    // No request path reaches the file system.
    for (const path of ["/../package.json", "/%2e%2e/package.json", "/public/app.js", "/vendor/chart.js"]) {
      expect((await get(path)).status, path).toBe(404);
    }
  });

  it("answers only loopback Host names when bound to loopback (DNS rebinding)", async () => {
    expect((await get("/api/totals", { host: "evil.example:4319" })).status).toBe(403);
    expect((await get("/", { host: "evil.example" })).status).toBe(403);
    for (const host of [
      `localhost:${dashboard.port}`,
      `127.0.0.1:${dashboard.port}`,
      `[::1]:${dashboard.port}`,
    ]) {
      expect((await get("/api/totals", { host })).status, host).toBe(200);
    }
  });
});

describe("--token", () => {
  const TOKEN = "s3cret-token-value";
  let secured: RunningDashboard;
  beforeAll(async () => {
    secured = await startDashboard({ db: ledger(), port: 0, token: TOKEN, now: () => NOW });
  });
  afterAll(() => secured?.close());
  const url = (path: string) => `${secured.url}${path.replace(/^\//, "")}`;

  it("answers 401 to every request without the token: API, page and assets", async () => {
    for (const path of [
      "/api/report?by=user",
      "/api/totals",
      "/api/limits",
      "/",
      "/app.js",
      "/vendor/chart.umd.js",
    ]) {
      const response = await fetch(url(path));
      expect(response.status, path).toBe(401);
      expect(await response.text()).not.toContain("user");
    }
    const api = await fetch(url("/api/totals"));
    expect(await api.json()).toEqual({
      error: expect.stringMatching(/^unauthorized: this dashboard needs its token/),
    });
    const wrong: Record<string, string>[] = [
      { "x-costtrail-token": "wrong" },
      { authorization: "Bearer wrong" },
      { cookie: `costtrail_dashboard_${secured.port}=wrong` },
      // The right token in another dashboard's cookie does not count.
      { cookie: `costtrail_dashboard_1=${TOKEN}` },
    ];
    for (const headers of wrong) expect((await fetch(url("/api/totals"), { headers })).status).toBe(401);
    expect((await fetch(url("/api/totals?token=wrong"))).status).toBe(401);
  });

  it("accepts the header, a bearer token, the cookie, or ?token=", async () => {
    const right: Record<string, string>[] = [
      { "x-costtrail-token": TOKEN },
      { authorization: `Bearer ${TOKEN}` },
      { cookie: `other=1; costtrail_dashboard_${secured.port}=${encodeURIComponent(TOKEN)}` },
    ];
    for (const headers of right) {
      const response = await fetch(url("/api/totals"), { headers });
      expect(response.status).toBe(200);
      expect((await response.json()).totals.requests).toBe(7);
    }
    expect((await fetch(url(`/api/report?by=user&token=${TOKEN}`))).status).toBe(200);
  });

  it("trades ?token= on the page for a cookie and a redirect to the clean URL", async () => {
    const response = await fetch(url(`/?token=${TOKEN}`), { redirect: "manual" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toBe(`costtrail_dashboard_${secured.port}=${TOKEN}; Path=/; HttpOnly; SameSite=Strict`);
    const page = await fetch(url("/"), { headers: { cookie: cookie.split(";")[0]! } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>costtrail");
  });
});
