// The seed's "document generator" web server (../shared/reference/002), on node:http so the demo needs no
// framework: create_document is a new use-case instance per request (@track), append_document groups every
// append to one document under its id (trackContext), and the user and account come from request headers.
// Outcomes are KPIs: a document accepted later (another request, by target) earns revenue; answer_ticket
// records in its own scope whether the ticket was resolved.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { track } from "../../../decorators/track.js";
import { currentAnnotations } from "../../context/scope-tree.js";
import { trackContext } from "../../context/track-context.js";
import { LimitExceededError } from "../../errors.js";
import { recordKpi } from "../../kpis/record-kpi.js";

export interface DocumentAppClients {
  openai: OpenAI;
  anthropic: Anthropic;
}

class DocumentService {
  readonly documents = new Map<string, string>();

  constructor(private readonly clients: DocumentAppClients) {}

  // Version 2 of the prompt (the demo's history has version 1 before the change).
  @track({ useCaseName: "create_document", useCaseVersion: 2 })
  async create(prompt: string): Promise<{ documentId: string; content: string }> {
    const response = await this.clients.openai.chat.completions.create({
      model: "gpt-4o-mini",
      max_completion_tokens: 200,
      messages: [
        { role: "system", content: "You are a poet. Write a short poem based on the user's prompt." },
        { role: "user", content: prompt },
      ],
    });
    // The document is the use-case instance: its id is the one outcomes are recorded against later.
    const documentId = currentAnnotations().useCaseId!;
    const content = response.choices[0]?.message.content ?? "";
    this.documents.set(documentId, content);
    return { documentId, content };
  }

  /** The user's verdict, hours later in a real app: recorded against the document's instance by target. */
  accept(documentId: string, accepted: boolean): void {
    const target = { useCaseName: "create_document", useCaseId: documentId };
    recordKpi("document_accepted", accepted, target);
    if (accepted) recordKpi("revenue", { value: 0.01, unit: "USD" }, target);
  }

  @track({ useCaseName: "answer_ticket", useCaseVersion: 1 })
  async answerTicket(question: string): Promise<{ answer: string; resolved: boolean }> {
    const response = await this.clients.openai.chat.completions.create({
      model: "gpt-4o-mini",
      max_completion_tokens: 120,
      messages: [
        { role: "system", content: "You are a support agent. Answer the customer's question briefly." },
        { role: "user", content: question },
      ],
    });
    const answer = response.choices[0]?.message.content ?? "";
    // Stand-in for the customer's "did this solve it?": deterministic, so every demo run agrees.
    const resolved = answer.length % 5 !== 0;
    recordKpi("ticket_resolved", resolved);
    return { answer, resolved };
  }

  async append(documentId: string, text: string): Promise<string> {
    return trackContext({ useCaseName: "append_document", useCaseId: documentId }, async () => {
      const existing = this.documents.get(documentId) ?? "";
      // Streamed, as an editor UI would show it arriving.
      const stream = this.clients.anthropic.messages.stream({
        model: "claude-haiku-4-5",
        max_tokens: 150,
        system: "You are editing an existing document. Append the new text, keeping the voice consistent.",
        messages: [{ role: "user", content: `Existing document:\n${existing}\n\nText to append:\n${text}` }],
      });
      const message = await stream.finalMessage();
      const block = message.content[0];
      const updated = `${existing}\n${block?.type === "text" ? block.text : ""}`;
      this.documents.set(documentId, updated);
      return updated;
    });
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body ? (JSON.parse(body) as Record<string, unknown>) : {};
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Routes one request inside a scope carrying who is asking (the per-request context of a web server). */
async function handle(service: DocumentService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const userId = req.headers["x-user-id"];
  const accountName = req.headers["x-account"];
  const scope = {
    ...(typeof userId === "string" && userId ? { userId } : {}),
    ...(typeof accountName === "string" && accountName ? { accountName } : {}),
  };
  await trackContext(scope, async () => {
    try {
      const append = req.url?.match(/^\/documents\/([^/]+)\/append$/);
      const accept = req.url?.match(/^\/documents\/([^/]+)\/accept$/);
      if (req.method === "POST" && req.url === "/documents") {
        const { prompt } = await readJson(req);
        send(res, 201, await service.create(String(prompt ?? "")));
      } else if (req.method === "POST" && accept) {
        const { accepted } = await readJson(req);
        service.accept(decodeURIComponent(accept[1]!), accepted === true);
        send(res, 200, { ok: true });
      } else if (req.method === "POST" && req.url === "/tickets") {
        const { question } = await readJson(req);
        send(res, 200, await service.answerTicket(String(question ?? "")));
      } else if (req.method === "POST" && append) {
        const { text } = await readJson(req);
        send(res, 200, { content: await service.append(decodeURIComponent(append[1]!), String(text ?? "")) });
      } else send(res, 404, { error: "not found" });
    } catch (error) {
      if (error instanceof LimitExceededError) {
        send(res, 402, { error: error.message, limitId: error.limitId });
      } else send(res, 502, { error: (error as Error).message });
    }
  });
}

export interface RunningApp {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startDocumentApp(clients: DocumentAppClients): Promise<RunningApp> {
  const service = new DocumentService(clients);
  const server = createServer((req, res) => void handle(service, req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
