// `costtrail dashboard`: one node:http server for the page, its assets and the JSON API, over a read-only
// ledger connection. Requests pass, in order: method (GET/HEAD), Host (loopback names when bound to loopback),
// token (when set), then routing.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Database } from "better-sqlite3";
import type { Logger } from "../types.js";
import { ApiError, handleApi } from "./api.js";
import { createTokenGuard, TOKEN_QUERY, type TokenGuard } from "./auth.js";
import { hostAllowed } from "./host-check.js";
import { loadStaticAssets, type StaticAsset } from "./static-assets.js";

export const DEFAULT_DASHBOARD_PORT = 4319;
export const DEFAULT_DASHBOARD_HOST = "127.0.0.1";

export interface DashboardOptions {
  /** A connection to the ledger, opened read-only (`openLedgerReadonly`); the caller closes it. */
  db: Database;
  /** Default 4319; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, every request must carry it (see auth.ts). */
  token?: string;
  /** Where unexpected errors are logged (their details never reach a response). Default: console. */
  logger?: Pick<Logger, "error">;
  /** The reference time for relative bounds (tests). */
  now?: () => number;
}

export interface RunningDashboard {
  /** `http://host:port/` (without the token). */
  url: string;
  host: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

// The page loads only its own scripts and styles; nothing may frame it.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
};

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  const buffer = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": contentType,
    "content-length": String(buffer.length),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(req.method === "HEAD" ? undefined : buffer);
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  send(req, res, status, JSON.stringify(body), "application/json; charset=utf-8");
}

/** JSON for the API, plain text for everything else. */
function sendError(req: IncomingMessage, res: ServerResponse, api: boolean, status: number, message: string) {
  if (api) sendJson(req, res, status, { error: message });
  else send(req, res, status, `${message}\n`, "text/plain; charset=utf-8");
}

interface Handling {
  db: Database;
  host: string;
  guard: TokenGuard;
  assets: Map<string, StaticAsset>;
  logger: Pick<Logger, "error">;
  now: (() => number) | undefined;
}

async function handle(h: Handling, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://dashboard.invalid");
  } catch {
    return sendError(req, res, false, 400, "bad request URL");
  }
  const api = url.pathname === "/api" || url.pathname.startsWith("/api/");
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return sendError(req, res, api, 405, `method ${req.method} not allowed`);
  }
  if (!hostAllowed(req.headers.host, h.host)) {
    return sendError(req, res, api, 403, "unexpected Host header: open the dashboard at the URL it printed");
  }
  const auth = h.guard.check(req, url);
  if (!auth.ok) {
    return sendError(
      req,
      res,
      api,
      401,
      "unauthorized: this dashboard needs its token (open the URL `costtrail dashboard` printed, " +
        `with ?${TOKEN_QUERY}=…, or send the x-costtrail-token header)`,
    );
  }
  if (auth.viaQuery && !api) {
    // Trade the token in the URL for a cookie, and leave it out of the address bar and history.
    url.searchParams.delete(TOKEN_QUERY);
    res.writeHead(303, {
      ...SECURITY_HEADERS,
      location: `${url.pathname}${url.search}`,
      "set-cookie": h.guard.cookie(),
      "cache-control": "no-store",
      "content-length": "0",
    });
    res.end();
    return;
  }

  if (api) {
    try {
      const body = await handleApi(
        { db: h.db, ...(h.now ? { now: h.now } : {}) },
        url.pathname,
        url.searchParams,
      );
      return sendJson(req, res, 200, body);
    } catch (error) {
      if (error instanceof ApiError) return sendError(req, res, true, error.status, error.message);
      h.logger.error(`costtrail dashboard: ${url.pathname} failed: ${(error as Error)?.stack ?? error}`);
      return sendError(req, res, true, 500, "internal error while reading the ledger (see the server's log)");
    }
  }
  const asset = h.assets.get(url.pathname);
  if (!asset) return sendError(req, res, false, 404, `not found: ${url.pathname}`);
  send(req, res, 200, asset.body, asset.contentType, { "cache-control": "no-cache" });
}

/** Starts the dashboard; resolves once it listens. Rejects (e.g. EADDRINUSE) when it cannot. */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const host = options.host ?? DEFAULT_DASHBOARD_HOST;
  const assets = loadStaticAssets();
  const logger = options.logger ?? { error: (message: string) => console.error(message) };
  let h: Handling | undefined;
  const server = createServer((req, res) => {
    if (!h) return sendError(req, res, false, 503, "starting");
    handle(h, req, res).catch((error: unknown) => {
      logger.error(`costtrail dashboard: ${(error as Error)?.stack ?? error}`);
      if (!res.headersSent) sendError(req, res, false, 500, "internal error");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_DASHBOARD_PORT, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  h = {
    db: options.db,
    host,
    guard: createTokenGuard(options.token, port),
    assets,
    logger,
    now: options.now,
  };
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/`,
    host,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
