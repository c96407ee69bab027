/**
 * The document generator on Express, instrumented for a web server.
 *
 *   npx tsx examples/express/main.ts        (PORT=3000 by default)
 *   curl -s localhost:3000/documents -H 'content-type: application/json' -H 'x-user-id: alice' \
 *     -d '{"prompt":"the sea at night"}'
 *   curl -s localhost:3000/documents/<id>/append -H 'content-type: application/json' -H 'x-user-id: alice' \
 *     -d '{"text":"and then the tide came in"}'
 *   npx costtrail report --by instance
 *
 * Without OPENAI_API_KEY and ANTHROPIC_API_KEY the calls go to costtrail's local mock provider.
 */
import { instrument } from "../../src/index.js";
import { createClients } from "../shared/clients.js";
import { createApp } from "./app.js";

// Once, at startup. No global scope: each request opens its own (see app.ts).
const costtrail = instrument({ globalInstrumentation: false });
await costtrail.ready; // under tsx, the ESM SDKs are patched asynchronously

const clients = await createClients();
const port = Number(process.env.PORT ?? 3000);
const server = createApp(clients).listen(port, () => {
  console.log(`document generator (Express) on http://localhost:${port}, calling ${clients.target}`);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close();
    void costtrail.shutdown().then(() => clients.close());
  });
}
