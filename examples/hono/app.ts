/**
 * The document generator on Hono (served on Node by @hono/node-server).
 *
 * A middleware opens the request's costtrail scope with the user id and awaits the rest of the chain inside
 * it: `await trackContext({ userId }, () => next())`. Hono's `next()` runs the downstream middleware and the
 * route handler, so everything the request does runs beneath the scope.
 *
 * - `POST /documents` → `DocumentService.create`, a `@track({ useCaseName: "create_document" })` method.
 * - `POST /documents/:id/append` → `trackContext({ useCaseName: "append_document", useCaseId: id })`.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { trackContext } from "../../src/index.js";
import { DocumentService } from "../shared/document-service.js";
import { type LlmClients, textField, userIdFrom } from "../shared/documents.js";

export const costtrailUser: MiddlewareHandler = async (c, next) => {
  await trackContext({ userId: userIdFrom(c.req.header("x-user-id")) }, () => next());
};

export function createApp(clients: LlmClients): Hono {
  const documents = new DocumentService(clients);
  const app = new Hono();
  app.use(costtrailUser);

  app.post("/documents", async (c) => {
    const prompt = textField(await c.req.json().catch(() => undefined), "prompt");
    if (!prompt) return c.json({ error: "prompt must be a non-empty string" }, 400);
    return c.json(await documents.create(prompt), 201);
  });

  app.post("/documents/:id/append", async (c) => {
    const id = c.req.param("id");
    const text = textField(await c.req.json().catch(() => undefined), "text");
    if (!text) return c.json({ error: "text must be a non-empty string" }, 400);
    if (!documents.exists(id)) return c.json({ error: "no such document" }, 404);
    const document = await trackContext({ useCaseName: "append_document", useCaseId: id }, () =>
      documents.append(id, text),
    );
    return c.json(document);
  });

  return app;
}
