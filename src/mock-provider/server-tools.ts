import { isRecord } from "./handler.js";
import type { MockServerToolCalls } from "./types.js";

/**
 * Server tools a request declares, by the kind they bill under: the mock "calls" each declared server tool
 * once (an `options.usage` override sets other counts). Anthropic tools are typed `web_search_20250305`,
 * `web_fetch_20250910`, `code_execution_20250825`…; OpenAI Responses tools `web_search` (`_preview`),
 * `file_search`, `code_interpreter`.
 */
export function declaredServerTools(tools: unknown): MockServerToolCalls | undefined {
  const out: MockServerToolCalls = {};
  for (const tool of Array.isArray(tools) ? tools : []) {
    const type = isRecord(tool) && typeof tool["type"] === "string" ? tool["type"] : "";
    const kind = kindOf(type);
    if (kind) out[kind] = 1;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function kindOf(type: string): keyof MockServerToolCalls | undefined {
  if (type.startsWith("web_search")) return "webSearch";
  if (type.startsWith("web_fetch")) return "webFetch";
  if (type.startsWith("code_execution") || type === "code_interpreter") return "codeExecution";
  if (type === "file_search") return "fileSearch";
  return undefined;
}
