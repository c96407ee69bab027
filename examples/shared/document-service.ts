/**
 * The document generator's service for the Express, Fastify and Hono examples (the NestJS example has its
 * own injectable service with the same shape). `create` is a `@track` method: every call is a new instance of
 * the `create_document` use case. `append` carries no annotations of its own: the route opens
 * `trackContext({ useCaseName: "append_document", useCaseId: documentId })` around it, because the instance
 * id comes from the request path.
 */
import { track } from "../../src/index.js";
import {
  appendInVoice,
  DocumentStore,
  type LlmClients,
  type StoredDocument,
  writePoem,
} from "./documents.js";

export class DocumentService {
  constructor(
    private readonly clients: LlmClients,
    private readonly store: DocumentStore = new DocumentStore(),
  ) {}

  @track({ useCaseName: "create_document" })
  async create(prompt: string): Promise<StoredDocument> {
    const poem = await writePoem(this.clients.openai, prompt);
    return this.store.put(poem);
  }

  exists(id: string): boolean {
    return this.store.get(id) !== undefined;
  }

  /** `undefined` when there is no such document. */
  async append(id: string, text: string): Promise<StoredDocument | undefined> {
    const existing = this.store.get(id);
    if (!existing) return undefined;
    const updated = await appendInVoice(this.clients.anthropic, existing.content, text);
    return this.store.put(updated, id);
  }
}
