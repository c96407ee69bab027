/**
 * One replica of a small service, for examples/fleet/docker-compose.yml: every replica writes to the one ledger
 * named by COSTTRAIL_LEDGER (a Postgres URL), as its own account (the container's host name). It makes CALLS
 * calls (default 30) for a few users, then shuts down, which writes (or spools) what is left.
 *
 *   COSTTRAIL_LEDGER=postgres://postgres@127.0.0.1:5432/costs npx tsx examples/fleet/worker.ts
 *
 * Without OPENAI_API_KEY and ANTHROPIC_API_KEY the calls go to costtrail's mock provider, in this process.
 */
import { hostname } from "node:os";
import { instrument, trackContext } from "../../src/index.js";
import { createClients } from "../shared/clients.js";

const replica = process.env.REPLICA ?? hostname();
const costtrail = instrument({ defaults: { useCaseName: "fleet-example", accountName: replica } });
await costtrail.ready; // under tsx, the ESM SDKs are patched asynchronously
const clients = await createClients();
const calls = Number(process.env.CALLS ?? 30);
for (let i = 0; i < calls; i++) {
  const userId = ["ana", "ben", "chloe"][i % 3]!;
  await trackContext({ userId }, () =>
    clients.openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `Summarise ticket ${i} for ${userId}` }],
    }),
  );
}
await costtrail.shutdown();
await clients.close();
console.log(
  `${replica}: ${calls} calls recorded in ${process.env.COSTTRAIL_LEDGER?.replace(/:[^:@/]*@/, ":***@")}`,
);
