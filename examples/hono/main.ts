/**
 * The document generator on Hono, instrumented for a web server.
 *
 *   npx tsx examples/hono/main.ts        (PORT=3000 by default)
 *   curl -s localhost:3000/documents -H 'content-type: application/json' -H 'x-user-id: alice' \
 *     -d '{"prompt":"the sea at night"}'
 *
 * Without OPENAI_API_KEY and ANTHROPIC_API_KEY the calls go to costtrail's local mock provider.
 */
import { serve } from "@hono/node-server";
import { instrument } from "../../src/index.js";
import { createClients } from "../shared/clients.js";
import { createApp } from "./app.js";

// Once, at startup. No global scope: each request opens its own (see app.ts).
const costtrail = instrument({ globalInstrumentation: false });
await costtrail.ready; // under tsx, the ESM SDKs are patched asynchronously

const clients = await createClients();
const port = Number(process.env.PORT ?? 3000);
const server = serve({ fetch: createApp(clients).fetch, port }, () => {
  console.log(`document generator (Hono) on http://localhost:${port}, calling ${clients.target}`);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close();
    void costtrail.shutdown().then(() => clients.close());
  });
}
