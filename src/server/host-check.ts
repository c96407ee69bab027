// DNS rebinding: a web page on evil.example can resolve its own name to 127.0.0.1 and read a local server as
// same-origin. A server bound to loopback therefore answers only requests addressed to a loopback name.
import { isIP } from "node:net";

const LOOPBACK_NAMES = new Set(["localhost", "::1", "[::1]"]);

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (LOOPBACK_NAMES.has(h) || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h === "::ffff:127.0.0.1";
}

/** The hostname of a Host header (`127.0.0.1:4319`, `[::1]:4319`, `localhost`). */
function hostname(header: string): string {
  if (header.startsWith("[")) return header.slice(0, header.indexOf("]") + 1);
  const colon = header.lastIndexOf(":");
  return colon >= 0 ? header.slice(0, colon) : header;
}

/** True when the request may be served: any Host for a server on a public interface, loopback names otherwise. */
export function hostAllowed(hostHeader: string | undefined, boundHost: string): boolean {
  if (!isLoopback(boundHost)) return true;
  if (!hostHeader) return false;
  return isLoopback(hostname(hostHeader));
}
