import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../examples/express/app.js";
import {
  driveDocumentLoad,
  type ExampleEnv,
  misattributions,
  startExampleEnv,
  TOTAL_REQUESTS,
} from "./support.js";

let env: ExampleEnv;
beforeAll(async () => {
  env = await startExampleEnv();
});
afterAll(() => env.close());

describe("examples/express: the document generator on Express", () => {
  it("attributes every event to its request's user and use case under 200 concurrent requests", async () => {
    const server = createApp(env.clients).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const sent = await driveDocumentLoad(`http://127.0.0.1:${port}`);
      const events = await env.settle(TOTAL_REQUESTS);
      expect(misattributions(events, sent)).toEqual([]);
      expect(events).toHaveLength(TOTAL_REQUESTS);

      // The check itself sees a cross-request mix-up: give two requests' events each other's user.
      const a = events.find((e) => e.annotations.userId === "user-00")!;
      const b = events.find((e) => e.annotations.userId === "user-01")!;
      const swapped = events.map((e) => {
        if (e === a) return { ...e, annotations: { ...e.annotations, userId: "user-01" } };
        if (e === b) return { ...e, annotations: { ...e.annotations, userId: "user-00" } };
        return e;
      });
      expect(misattributions(swapped, sent)).toHaveLength(2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
