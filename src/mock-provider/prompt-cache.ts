import { sha256, stableJson } from "./tokens.js";

/** One prompt item (a message, or for Anthropic a content block) with its token count. */
export interface PromptSegment {
  /** Identity of the item: equal keys mean equal content. */
  key: string;
  tokens: number;
}

export interface AnthropicSegment extends PromptSegment {
  /** Set when the block carries `cache_control`, with its TTL. */
  breakpoint?: "5m" | "1h";
}

/** Hash chain over the items, so prefix i's hash is `hashes[i]` (prefix of i + 1 items). */
function prefixHashes(model: string, segments: readonly PromptSegment[]): string[] {
  const hashes: string[] = [];
  let previous = sha256(`model:${model}`);
  for (const segment of segments) {
    previous = sha256(previous + segment.key);
    hashes.push(previous);
  }
  return hashes;
}

export const OPENAI_MIN_CACHED_TOKENS = 1024;
export const OPENAI_CACHE_GRANULARITY = 128;

/**
 * OpenAI's automatic prompt caching. A request's messages m[0..n) are cached up to the longest leading run
 * m[0..k), k < n, that any earlier request to the same model began with (the last message never counts).
 * If those k messages total ≥ 1024 tokens, `cached_tokens` is that total rounded down to a multiple of 128;
 * otherwise 0. Every leading run of every request is remembered.
 */
export class OpenAIPromptCache {
  private readonly seen = new Set<string>();

  lookupAndStore(model: string, segments: readonly PromptSegment[]): number {
    const hashes = prefixHashes(model, segments);
    let cached = 0;
    for (let k = segments.length - 1; k >= 1; k--) {
      if (this.seen.has(hashes[k - 1]!)) {
        cached = segments.slice(0, k).reduce((sum, s) => sum + s.tokens, 0);
        break;
      }
    }
    for (const hash of hashes) this.seen.add(hash);
    if (cached < OPENAI_MIN_CACHED_TOKENS) return 0;
    return Math.floor(cached / OPENAI_CACHE_GRANULARITY) * OPENAI_CACHE_GRANULARITY;
  }

  clear(): void {
    this.seen.clear();
  }
}

export interface AnthropicCacheResult {
  read: number;
  write5m: number;
  write1h: number;
}

/**
 * Anthropic's explicit prompt caching. The prompt is the block sequence tools → system → messages; a block
 * with `cache_control` is a breakpoint and the prefix up to and including it is cacheable. Reading: the
 * longest prefix, ending at any block at or before the last breakpoint, that an earlier request wrote, is
 * read (`cache_read_input_tokens`). Writing: the tokens after that, up to the last breakpoint, are written
 * (`cache_creation_input_tokens`), each block attributed to the TTL of the next breakpoint. Prefixes are
 * written at breakpoints only. Unlike the real API there is no minimum cacheable length.
 */
export class AnthropicPromptCache {
  private readonly written = new Set<string>();

  lookupAndStore(model: string, segments: readonly AnthropicSegment[]): AnthropicCacheResult {
    const result: AnthropicCacheResult = { read: 0, write5m: 0, write1h: 0 };
    let last = -1;
    segments.forEach((s, i) => {
      if (s.breakpoint) last = i;
    });
    if (last < 0) return result;
    const hashes = prefixHashes(model, segments);
    let readEnd = -1;
    for (let i = last; i >= 0; i--) {
      if (this.written.has(hashes[i]!)) {
        readEnd = i;
        break;
      }
    }
    for (let i = 0; i <= readEnd; i++) result.read += segments[i]!.tokens;
    for (let i = readEnd + 1; i <= last; i++) {
      const ttl = segments.slice(i, last + 1).find((s) => s.breakpoint)?.breakpoint ?? "5m";
      if (ttl === "1h") result.write1h += segments[i]!.tokens;
      else result.write5m += segments[i]!.tokens;
    }
    segments.forEach((s, i) => {
      if (s.breakpoint) this.written.add(hashes[i]!);
    });
    return result;
  }

  clear(): void {
    this.written.clear();
  }
}

/** A segment key for a prompt item, independent of key order and of `cache_control`. */
export function segmentKey(kind: string, value: unknown): string {
  return `${kind}:${stableJson(value)}`;
}
