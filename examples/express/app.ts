/**
 * The document generator on Express 5.
 *
 * - costtrail is instrumented once at startup with `globalInstrumentation: false` (see main.ts): no
 *   process-wide scope, every request builds its own.
 * - A middleware opens the request's scope with the user id: `trackContext({ userId }, () => next())`. Express
 *   calls the rest of the chain (and the route handler) from inside `next()`, so everything the request does
 *   runs beneath that scope, including what it awaits.
 * - `POST /documents` → `DocumentService.create`, a `@track({ useCaseName: "create_document" })` method: a new
 *   instance per request.
 * - `POST /documents/:id/append` → `trackContext({ useCaseName: "append_document", useCaseId: id })`: every
 *   append to one document is the same instance.
 */
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { trackContext } from "../../src/index.js";
import { DocumentService } from "../shared/document-service.js";
import { type LlmClients, textField, userIdFrom } from "../shared/documents.js";

/** Opens the request's costtrail scope: everything after this middleware is attributed to the caller. */
export function costtrailUser(req: Request, _res: Response, next: NextFunction): void {
  trackContext({ userId: userIdFrom(req.get("x-user-id")) }, () => next());
}

export function createApp(clients: LlmClients): Express {
  const documents = new DocumentService(clients);
  const app = express();
  app.use(express.json());
  app.use(costtrailUser);

  app.post("/documents", async (req, res) => {
    const prompt = textField(req.body, "prompt");
    if (!prompt) {
      res.status(400).json({ error: "prompt must be a non-empty string" });
      return;
    }
    res.status(201).json(await documents.create(prompt));
  });

  app.post("/documents/:id/append", async (req, res) => {
    const { id } = req.params;
    const text = textField(req.body, "text");
    if (!text) {
      res.status(400).json({ error: "text must be a non-empty string" });
      return;
    }
    if (!documents.exists(id)) {
      res.status(404).json({ error: "no such document" });
      return;
    }
    const document = await trackContext({ useCaseName: "append_document", useCaseId: id }, () =>
      documents.append(id, text),
    );
    res.json(document);
  });

  return app;
}
