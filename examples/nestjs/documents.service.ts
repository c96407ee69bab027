// Nest injects constructor parameters by their runtime class (`design:paramtypes`), so these three must stay
// value imports: `import type` (as lint/style/useImportType suggests) would erase them and break injection.
import Anthropic from "@anthropic-ai/sdk";
import { Injectable } from "@nestjs/common";
import OpenAI from "openai";
import { track } from "../../src/index.js";
import { appendInVoice, DocumentStore, type StoredDocument, writePoem } from "../shared/documents.js";

/**
 * An ordinary Nest provider; its dependencies are injected by type (`design:paramtypes`), which `@track` on
 * its methods leaves intact. The `@track` scopes here only name the step: the use case, its instance and the
 * user come from the scopes the controller and the middleware opened around the call.
 */
@Injectable()
export class DocumentsService {
  constructor(
    private readonly openai: OpenAI,
    private readonly anthropic: Anthropic,
    private readonly store: DocumentStore,
  ) {}

  @track({ useCaseStep: "write" })
  async create(prompt: string): Promise<StoredDocument> {
    return this.store.put(await writePoem(this.openai, prompt));
  }

  exists(id: string): boolean {
    return this.store.get(id) !== undefined;
  }

  @track({ useCaseStep: "rewrite" })
  async append(id: string, text: string): Promise<StoredDocument | undefined> {
    const existing = this.store.get(id);
    if (!existing) return undefined;
    return this.store.put(await appendInVoice(this.anthropic, existing.content, text), id);
  }
}
