import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createApp } from "../../examples/hono/app.js";
import { type ExampleEnv, expectNoMisattribution, startExampleEnv } from "./support.js";

let env: ExampleEnv;
beforeAll(async () => {
  env = await startExampleEnv();
});
afterAll(() => env.close());

describe("examples/hono: the document generator on Hono (@hono/node-server)", () => {
  it("attributes every event to its request's user and use case under 200 concurrent requests", async () => {
    const { port, server } = await new Promise<{ port: number; server: ReturnType<typeof serve> }>(
      (resolve) => {
        const server = serve(
          { fetch: createApp(env.clients).fetch, port: 0, hostname: "127.0.0.1" },
          (info) => resolve({ port: (info as AddressInfo).port, server }),
        );
      },
    );
    try {
      await expectNoMisattribution(env, `http://127.0.0.1:${port}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
