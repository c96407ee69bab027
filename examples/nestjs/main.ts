/**
 * The document generator as a NestJS app, instrumented for a web server.
 *
 * Nest relies on `experimentalDecorators` + `emitDecoratorMetadata` (constructor injection by type), which
 * esbuild-based runners such as tsx do not emit, so compile it with tsc like any Nest app:
 *
 *   npx tsc -p examples/nestjs && node tmp/nestjs-example/examples/nestjs/main.js      (PORT=3000 by default)
 *   curl -s localhost:3000/documents -H 'content-type: application/json' -H 'x-user-id: alice' \
 *     -d '{"prompt":"the sea at night"}'
 *
 * Without OPENAI_API_KEY and ANTHROPIC_API_KEY the calls go to costtrail's local mock provider.
 */
import "reflect-metadata";
import { NestFactory } from "@nestjs/core";
import { instrument } from "../../src/index.js";
import { createClients } from "../shared/clients.js";
import { AppModule } from "./app.module.js";

// Once, at startup. No global scope: each request opens its own (see costtrail-user.middleware.ts).
const costtrail = instrument({ globalInstrumentation: false });
await costtrail.ready;

const clients = await createClients();
const app = await NestFactory.create(AppModule.forRoot(clients));
const port = Number(process.env.PORT ?? 3000);
await app.listen(port);
console.log(`document generator (NestJS) on http://localhost:${port}, calling ${clients.target}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void app
      .close()
      .then(() => costtrail.shutdown())
      .then(() => clients.close());
  });
}
