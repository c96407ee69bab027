// The page's typed client (src/server/ui/api-client.ts) knows the endpoints from api-types.ts: every endpoint
// the server routes is in that contract, and nothing else is.
import { describe, expect, it } from "vitest";
import { API_ENDPOINTS } from "../../src/server/api.js";
import type { ApiEndpoints } from "../../src/server/api-types.js";

// A key missing here, or one that is not in the contract, fails the type check.
const CONTRACT: Record<keyof ApiEndpoints, true> = {
  "/api/report": true,
  "/api/totals": true,
  "/api/timeseries": true,
  "/api/instance": true,
  "/api/limits": true,
  "/api/kpis": true,
  "/api/forecast": true,
  "/api/reconciliations": true,
  "/api/fx": true,
};

describe("the JSON API's contract", () => {
  it("lists exactly the endpoints the server answers", () => {
    expect(API_ENDPOINTS.map((name) => `/api/${name}`).sort()).toEqual(Object.keys(CONTRACT).sort());
  });
});
