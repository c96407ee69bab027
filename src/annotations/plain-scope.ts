import type { ScopeAnnotations } from "../types.js";
import { MAX_LIST, MAX_MAP_KEYS, MAX_STRING } from "./keys.js";

// The fast half of annotation validation (schema.ts): a plain object whose every value already satisfies the
// schema in keys.ts is copied as zod would return it (`undefined` dropped, lists and maps copied; keys in the
// caller's order, which carries no meaning: the merge reads keys by name); anything unusual returns undefined and
// is left to zod, which accepts it or names the bad field. It must never accept what the zod schema refuses:
// test/core/plain-scope.test.ts runs both on the same inputs. Written out key by key (a switch, no table
// lookups) because it runs on every `trackContext`; a key added to keys.ts and not here simply takes zod's path.

const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= MAX_STRING;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A copy of `input` if it is plainly valid scope annotations; undefined to let zod decide. */
export function plainScope(input: unknown): ScopeAnnotations | undefined {
  if (input === undefined || input === null) return {};
  if (!isPlainObject(input)) return undefined;
  const out: Record<string, unknown> = {};
  for (const key in input) {
    const value = input[key];
    switch (key) {
      case "useCaseName":
      case "useCaseId":
      case "useCaseStep":
      case "userId":
      case "accountName":
      case "priceAsResource":
      case "priceAsCategory":
      case "resourceScope":
        if (value === undefined) continue; // writes nothing; zod's result drops it too
        if (value !== null && !isText(value)) return undefined;
        out[key] = value;
        break;
      case "useCaseVersion":
        if (value === undefined) continue;
        if (value !== null && !(Number.isSafeInteger(value) && (value as number) >= 0)) return undefined;
        out[key] = value;
        break;
      case "limitIds":
      case "requestTags": {
        if (value === undefined) continue;
        const list = copyList(value);
        if (!list) return undefined;
        out[key] = list;
        break;
      }
      case "requestProperties":
      case "useCaseProperties": {
        if (value === undefined) continue;
        const map = copyMap(value);
        if (map === undefined) return undefined;
        out[key] = map;
        break;
      }
      default:
        return undefined;
    }
  }
  return out as ScopeAnnotations;
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
