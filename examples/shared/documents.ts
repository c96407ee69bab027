/**
 * The document generator of costtrail's "Instrumenting a web server" guide, without any web framework: an
 * in-memory store and the two LLM calls. Each app in examples/{express,fastify,hono,nestjs} wires these into
 * its routes and opens the costtrail scopes (user, use case, instance) the idiomatic way for its framework.
 *
 * Create uses OpenAI and append uses Anthropic, so one app exercises both providers.
 */
import { randomUUID } from "node:crypto";
import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";

export interface LlmClients {
  openai: OpenAI;
  anthropic: Anthropic;
}

export interface StoredDocument {
  id: string;
  content: string;
}

export const CREATE_MODEL = "gpt-4o-mini";
export const APPEND_MODEL = "claude-haiku-4-5";

/** Stand-in for a database table of documents. */
export class DocumentStore {
  readonly #documents = new Map<string, string>();

  get(id: string): StoredDocument | undefined {
    const content = this.#documents.get(id);
    return content === undefined ? undefined : { id, content };
  }

  /** Stores new content; returns the document (a fresh id when none is given). */
  put(content: string, id: string = randomUUID()): StoredDocument {
    this.#documents.set(id, content);
    return { id, content };
  }
}

/** One OpenAI call: a short poem from the user's prompt. */
export async function writePoem(openai: OpenAI, prompt: string): Promise<string> {
  const response = await openai.chat.completions.create({
    model: CREATE_MODEL,
    messages: [
      { role: "system", content: "You are a poet. Write a short poem based on the user's prompt." },
      { role: "user", content: prompt },
    ],
  });
  return response.choices[0]?.message.content ?? "";
}

/** One Anthropic call: the document with `text` appended in the same voice. */
export async function appendInVoice(anthropic: Anthropic, existing: string, text: string): Promise<string> {
  const message = await anthropic.messages.create({
    model: APPEND_MODEL,
    max_tokens: 512,
    system:
      "You are editing an existing document. Append the new text to the document while ensuring the " +
      "writing voice and style remain consistent throughout. Return the full updated document.",
    messages: [{ role: "user", content: `Existing document:\n${existing}\n\nText to append:\n${text}` }],
  });
  return message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
}

/** A request body field that must be a non-empty string; `undefined` when it is not (→ 400). */
export function textField(body: unknown, field: string): string | undefined {
  const value = (body as Record<string, unknown> | null | undefined)?.[field];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** The user id header, as an annotation value: absent or empty → `undefined` (costtrail rejects ""). */
export function userIdFrom(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value ? value : undefined;
}
