// The optional `--token`: every request (page, assets, API) must carry it. The page is opened once with
// `?token=…`; the server answers with a cookie and a redirect to the clean URL, and every later request (the
// page's assets and API calls) carries the cookie. Scripts may send the header or `Authorization: Bearer`.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const TOKEN_HEADER = "x-costtrail-token";
export const TOKEN_QUERY = "token";

export type AuthResult =
  /** No token configured, or a valid header / cookie. */
  | { ok: true; viaQuery: false }
  /** Valid `?token=`: a page load should set the cookie and redirect to the URL without it. */
  | { ok: true; viaQuery: true }
  | { ok: false };

export interface TokenGuard {
  /** The cookie carrying the token: named per port, since browsers share cookies across a host's ports. */
  readonly cookieName: string;
  check(req: IncomingMessage, url: URL): AuthResult;
  /** The Set-Cookie value after a valid `?token=`. */
  cookie(): string;
}

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/** Constant-time: both sides are hashed to 32 bytes first, so neither content nor length leaks through timing. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}

/** `token` undefined: every request passes. */
export function createTokenGuard(token: string | undefined, port: number): TokenGuard {
  const cookieName = `costtrail_dashboard_${port}`;
  return {
    cookieName,
    check(req, url) {
      if (token === undefined) return { ok: true, viaQuery: false };
      const header = req.headers[TOKEN_HEADER];
      const presented = [
        typeof header === "string" ? header : undefined,
        bearer(req.headers.authorization),
        cookieValue(req.headers.cookie, cookieName),
      ];
      // Every candidate is compared (no early exit on the first present one): the time taken does not say which.
      let ok = false;
      for (const value of presented) if (value !== undefined && tokenMatches(value, token)) ok = true;
      if (ok) return { ok: true, viaQuery: false };
      const query = url.searchParams.get(TOKEN_QUERY);
      if (query !== null && tokenMatches(query, token)) return { ok: true, viaQuery: true };
      return { ok: false };
    },
    cookie() {
      return `${cookieName}=${encodeURIComponent(token ?? "")}; Path=/; HttpOnly; SameSite=Strict`;
    },
  };
}
