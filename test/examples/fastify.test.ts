import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createApp } from "../../examples/fastify/app.js";
import { type ExampleEnv, expectNoMisattribution, startExampleEnv } from "./support.js";

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
      await expectNoMisattribution(env, `http://127.0.0.1:${port}`);
    } finally {
      await app.close();
    }
  });
});
