import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * LangChain integrations whose calls go through an SDK costtrail patches, by `ls_provider`: the chain of
 * packages from the integration to that SDK (each resolved from the one before, as Node resolves imports).
 */
const SDK_CHAINS: Record<string, readonly string[]> = {
  openai: ["@langchain/openai", "openai"],
  azure: ["@langchain/openai", "openai"],
  azure_openai: ["@langchain/openai", "openai"],
  // OpenAI-compatible integrations built on @langchain/openai's ChatOpenAI.
  deepseek: ["@langchain/deepseek", "@langchain/openai", "openai"],
  xai: ["@langchain/xai", "@langchain/openai", "openai"],
  anthropic: ["@langchain/anthropic", "@anthropic-ai/sdk"],
  amazon_bedrock: ["@langchain/aws", "@aws-sdk/client-bedrock-runtime"],
};

const bases = () => [import.meta.url, pathToFileURL(join(process.cwd(), "noop.js")).href];

function resolveFrom(base: string, pkg: string): string | undefined {
  try {
    return createRequire(base).resolve(pkg);
  } catch {
    return undefined;
  }
}

const cache = new Map<string, boolean>();

/**
 * Does costtrail's SDK instrumentation see the calls of this integration? True when the SDK the integration
 * itself resolves is the copy costtrail patched (the one resolved from costtrail and from the app). An
 * integration may carry its own nested copy (e.g. @langchain/anthropic pins an older @anthropic-ai/sdk):
 * nothing patches that one, so the callback handler must record those calls itself.
 */
export function sdkTracksProvider(provider: string): boolean {
  const cached = cache.get(provider);
  if (cached !== undefined) return cached;
  const chain = Object.hasOwn(SDK_CHAINS, provider) ? SDK_CHAINS[provider] : undefined;
  let tracked = false;
  if (chain) {
    const sdk = chain[chain.length - 1]!;
    const patched = new Set(bases().map((base) => resolveFrom(base, sdk)));
    for (const base of bases()) {
      let at: string | undefined = base;
      for (const pkg of chain) at = at === undefined ? undefined : resolveFrom(at, pkg);
      if (at !== undefined && patched.has(at)) tracked = true;
    }
  }
  cache.set(provider, tracked);
  return tracked;
}
