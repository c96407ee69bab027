/**
 * The document generator on Fastify 5.
 *
 * The request's costtrail scope (the user id) is opened in a `preHandler` hook written in callback style:
 * `trackContext({ userId }, () => done())`. Fastify runs the rest of the lifecycle, the route handler included,
 * from inside `done()`, so the handler and everything it awaits run beneath the scope.
 *
 * Pitfall: an `async` hook cannot do this. `addHook("preHandler", async (req) => trackContext(...))` scopes
 * only the hook's own body; Fastify continues with the handler after the hook's promise settles, outside it.
 *
 * - `POST /documents` → `DocumentService.create`, a `@track({ useCaseName: "create_document" })` method.
 * - `POST /documents/:id/append` → `trackContext({ useCaseName: "append_document", useCaseId: id })`.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { trackContext } from "../../src/index.js";
import { DocumentService } from "../shared/document-service.js";
import { type LlmClients, textField, userIdFrom } from "../shared/documents.js";

/** A callback-style hook (not `async`): `done` runs the rest of the request inside the scope. */
export function costtrailUser(req: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  trackContext({ userId: userIdFrom(req.headers["x-user-id"]) }, () => done());
}

export function createApp(clients: LlmClients): FastifyInstance {
  const documents = new DocumentService(clients);
  const app = Fastify();
  app.addHook("preHandler", costtrailUser);

  app.post("/documents", async (req, reply) => {
    const prompt = textField(req.body, "prompt");
    if (!prompt) return reply.code(400).send({ error: "prompt must be a non-empty string" });
    return reply.code(201).send(await documents.create(prompt));
  });

  app.post<{ Params: { id: string } }>("/documents/:id/append", async (req, reply) => {
    const { id } = req.params;
    const text = textField(req.body, "text");
    if (!text) return reply.code(400).send({ error: "text must be a non-empty string" });
    if (!documents.exists(id)) return reply.code(404).send({ error: "no such document" });
    return trackContext({ useCaseName: "append_document", useCaseId: id }, () => documents.append(id, text));
  });

  return app;
}
