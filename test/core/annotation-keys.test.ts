// The table of annotation keys drives the schema, the merge and the headers (issue 15 item 4): each key behaves
// as its kind says in all three.
import { describe, expect, it } from "vitest";
import { createHeaders, parseAnnotationHeaders } from "../../src/annotations/headers.js";
import { ANNOTATION_KEY_TABLE, ANNOTATION_KEYS, HEADER_PREFIX, kindOf } from "../../src/annotations/keys.js";
import { mergeScopes } from "../../src/annotations/merge.js";
import { parseScopeAnnotations, scopeAnnotationsSchema } from "../../src/annotations/schema.js";
import { AnnotationError } from "../../src/index.js";
import type { ScopeAnnotations } from "../../src/types.js";

const ids = () => {
  let n = 0;
  return () => `id-${++n}`;
};
const sample = (key: string, tag: string): unknown => {
  if (key === "useCaseVersion") return tag === "a" ? 1 : 2;
  const kind = kindOf(key as never);
  if (kind === "list") return [`${tag}1`, `${tag}2`];
  if (kind === "map") return { shared: tag, [tag]: tag };
  return `${tag}-value`;
};

describe("the annotation key table", () => {
  it("lists every key of the schema, each with its header name", () => {
    expect(Object.keys(scopeAnnotationsSchema.shape)).toEqual(ANNOTATION_KEYS);
    for (const key of ANNOTATION_KEYS) {
      const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      expect(ANNOTATION_KEY_TABLE[key].header).toBe(`${HEADER_PREFIX}${kebab}`);
    }
  });

  it.each(ANNOTATION_KEYS)("%s: headers carry it and read it back", (key) => {
    const scope = { [key]: sample(key, "a") } as ScopeAnnotations;
    const headers = createHeaders(scope);
    expect(Object.keys(headers)).toEqual([ANNOTATION_KEY_TABLE[key].header]);
    expect(parseAnnotationHeaders(headers)).toEqual({ scope, names: [ANNOTATION_KEY_TABLE[key].header] });
  });

  it.each(ANNOTATION_KEYS.filter((k) => !k.startsWith("useCase") || k === "useCaseProperties"))(
    "%s merges as its kind says",
    (key) => {
      const outer = { [key]: sample(key, "a") } as ScopeAnnotations;
      const inner = { [key]: sample(key, "b") } as ScopeAnnotations;
      const merged = mergeScopes([outer, inner], ids()) as Record<string, unknown>;
      const kind = kindOf(key);
      if (kind === "singleton") expect(merged[key]).toBe("b-value");
      if (kind === "list") expect(merged[key]).toEqual(["a1", "a2", "b1", "b2"]);
      if (kind === "map") expect(merged[key]).toEqual({ shared: "b", a: "a", b: "b" });
      if (kind !== "list") {
        expect(mergeScopes([outer, { [key]: null } as ScopeAnnotations], ids())).not.toHaveProperty(key);
      } else {
        expect(() => parseScopeAnnotations({ [key]: null }, "test")).toThrow(AnnotationError);
      }
    },
  );

  it("the use case's own fields follow its name", () => {
    const outer: ScopeAnnotations = {
      useCaseName: "a",
      useCaseId: "i-a",
      useCaseVersion: 3,
      useCaseStep: "s",
    };
    expect(mergeScopes([outer, { useCaseName: "b" }], ids())).toEqual({
      useCaseName: "b",
      useCaseId: "id-1",
    });
    expect(mergeScopes([outer, { useCaseName: null }], ids())).toEqual({});
    expect(mergeScopes([outer, { useCaseName: "a", useCaseStep: "t" }], ids())).toEqual({
      ...outer,
      useCaseStep: "t",
    });
  });

  it("a property value over 512 characters is reported as too long, naming it", () => {
    for (const key of ["requestProperties", "useCaseProperties"]) {
      expect(() => parseScopeAnnotations({ [key]: { note: "x".repeat(513) } }, "test")).toThrow(
        `costtrail: invalid annotation in test: ${key}.note: must be at most 512 characters`,
      );
      expect(() => parseScopeAnnotations({ [key]: { ["k".repeat(513)]: "v" } }, "test")).toThrow(
        /: key must be at most 512 characters$/,
      );
    }
  });
});
