import type { ScopeAnnotations } from "../types.js";
import { ANNOTATION_KEY_TABLE, MAX_LIST, MAX_MAP_KEYS, MAX_STRING } from "./keys.js";

// The fast half of annotation validation (schema.ts): a plain object whose every value already satisfies the
// schema in keys.ts is copied as zod would return it (`undefined` dropped, lists and maps copied; keys in the
// caller's order, which carries no meaning: the merge reads keys by name); anything unusual returns undefined and
// is left to zod, which accepts it or names the bad field. It must never accept what the zod schema refuses:
// test/core/plain-scope.test.ts runs both on the same inputs. Written out key by key (a switch, no table
// lookups) because it runs on every `trackContext`; a key added to keys.ts and not here simply takes zod's path.

const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= MAX_STRING;
const isTextOrNull = (v: unknown): v is string | null => v === null || isText(v);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * What `plainScope` learned of the copy it returned last, while copying it: the `scopeGrowth` and `isEmptyScope`
 * of that copy, so `trackContext` need not walk it twice more. Valid only while `scope` is the copy in hand.
 */
export const plainFacts: { scope: ScopeAnnotations | undefined; growth: number; empty: boolean } = {
  scope: undefined,
  growth: 0,
  empty: true,
};

/** A copy of `input` if it is plainly valid scope annotations; undefined to let zod decide. */
export function plainScope(input: unknown): ScopeAnnotations | undefined {
  if (input === undefined || input === null) return {};
  if (!isPlainObject(input)) return undefined;
  // Named stores (`out.userId = …`), not `out[key] = …`: a keyed store with a varying key is a megamorphic
  // store, about half of this function's time (docs/benchmarks.md "Scope entry").
  const out: ScopeAnnotations = {};
  let growth = 0;
  let writes = 0;
  for (const key in input) {
    const value = input[key];
    if (value === undefined) {
      // Writes nothing, and zod's result drops it too, if the key is known; an unknown key zod refuses.
      if (!Object.hasOwn(ANNOTATION_KEY_TABLE, key)) return undefined;
      continue;
    }
    switch (key) {
      case "useCaseName":
        if (!isTextOrNull(value)) return undefined;
        out.useCaseName = value;
        writes++;
        break;
      case "useCaseId":
        if (!isTextOrNull(value)) return undefined;
        out.useCaseId = value;
        writes++;
        break;
      case "useCaseStep":
        if (!isTextOrNull(value)) return undefined;
        out.useCaseStep = value;
        writes++;
        break;
      case "userId":
        if (!isTextOrNull(value)) return undefined;
        out.userId = value;
        writes++;
        break;
      case "accountName":
        if (!isTextOrNull(value)) return undefined;
        out.accountName = value;
        writes++;
        break;
      case "priceAsResource":
        if (!isTextOrNull(value)) return undefined;
        out.priceAsResource = value;
        writes++;
        break;
      case "priceAsCategory":
        if (!isTextOrNull(value)) return undefined;
        out.priceAsCategory = value;
        writes++;
        break;
      case "resourceScope":
        if (!isTextOrNull(value)) return undefined;
        out.resourceScope = value;
        writes++;
        break;
      case "useCaseVersion":
        if (value !== null && !(Number.isSafeInteger(value) && (value as number) >= 0)) return undefined;
        out.useCaseVersion = value as number | null;
        writes++;
        break;
      case "limitIds": {
        const list = copyList(value);
        if (!list) return undefined;
        out.limitIds = list;
        growth += list.length;
        if (list.length > 0) writes++;
        break;
      }
      case "requestTags": {
        const list = copyList(value);
        if (!list) return undefined;
        out.requestTags = list;
        growth += list.length;
        if (list.length > 0) writes++;
        break;
      }
      case "requestProperties": {
        const map = copyMap(value);
        if (map === undefined) return undefined;
        out.requestProperties = map;
        growth += keyCount(map);
        writes++;
        break;
      }
      case "useCaseProperties": {
        const map = copyMap(value);
        if (map === undefined) return undefined;
        out.useCaseProperties = map;
        growth += keyCount(map);
        writes++;
        break;
      }
      default:
        return undefined;
    }
  }
  plainFacts.scope = out;
  plainFacts.growth = growth;
  plainFacts.empty = writes === 0;
  return out;
}

function keyCount(map: Record<string, string> | null): number {
  let n = 0;
  if (map) for (const _ in map) n++;
  return n;
}

function copyList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_LIST) return undefined;
  for (let i = 0; i < value.length; i++) if (!isText(value[i])) return undefined;
  return value.slice();
}

function copyMap(value: unknown): Record<string, string> | null | undefined {
  if (value === null) return null;
  if (!isPlainObject(value)) return undefined;
  const out: Record<string, string> = {};
  let n = 0;
  for (const k in value) {
    // `__proto__` as an own key cannot be copied by assignment: zod's path refuses it with a message.
    if (k === "__proto__" || !isText(k) || ++n > MAX_MAP_KEYS) return undefined;
    const v = value[k];
    if (!isText(v)) return undefined;
    out[k] = v;
  }
  return out;
}
