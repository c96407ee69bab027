import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../examples/fastify/app.js";
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

describe("examples/fastify: the document generator on Fastify", () => {
  it("attributes every event to its request's user and use case under 200 concurrent requests", async () => {
    const app = createApp(env.clients);
    await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const { port } = app.server.address() as AddressInfo;
      const sent = await driveDocumentLoad(`http://127.0.0.1:${port}`);
      const events = await env.settle(TOTAL_REQUESTS);
      expect(misattributions(events, sent)).toEqual([]);
      expect(events).toHaveLength(TOTAL_REQUESTS);
    } finally {
      await app.close();
    }
  });
});
