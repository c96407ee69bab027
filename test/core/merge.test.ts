import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyScope, mergeScopes } from "../../src/annotations/merge.js";
import type { ScopeAnnotations } from "../../src/types.js";

function counter() {
  let n = 0;
  return () => `id-${++n}`;
}

describe("merge engine (pure)", () => {
  it("singletons: latest scope wins across decorator → trackContext → headers", () => {
    const out = mergeScopes(
      [
        { userId: "from-decorator", accountName: "acme" },
        { userId: "from-context" },
        { userId: "from-headers" },
      ],
      counter(),
    );
    expect(out.userId).toBe("from-headers");
    expect(out.accountName).toBe("acme");
  });

  it("undefined inherits, null clears a singleton for everything beneath", () => {
    const out = mergeScopes(
      [
        { userId: "u1", accountName: "a" },
        { userId: undefined, accountName: null },
      ],
      counter(),
    );
    expect(out).toEqual({ userId: "u1" });
  });

  it("useCaseName: null drops name, id, version and step", () => {
    const out = mergeScopes(
      [{ useCaseName: "a", useCaseVersion: 2, useCaseStep: "s", userId: "u" }, { useCaseName: null }],
      counter(),
    );
    expect(out).toEqual({ userId: "u" });
  });

  it("a new name without id starts a new instance; repeating the name stays in it", () => {
    const ids = counter();
    const outer = applyScope({}, { useCaseName: "a" }, ids);
    expect(outer.useCaseId).toBe("id-1");
    const same = applyScope(outer, { useCaseName: "a" }, ids);
    expect(same.useCaseId).toBe("id-1");
    const other = applyScope(outer, { useCaseName: "b" }, ids);
    expect(other).toMatchObject({ useCaseName: "b", useCaseId: "id-2" });
  });

  it("a given id is used with its own or the inherited name; version and step reset on a new use case", () => {
    const ids = counter();
    const outer = applyScope({}, { useCaseName: "a", useCaseVersion: 3, useCaseStep: "one" }, ids);
    expect(applyScope(outer, { useCaseId: "doc-7" }, ids)).toMatchObject({
      useCaseName: "a",
      useCaseId: "doc-7",
      useCaseVersion: 3,
    });
    const b = applyScope(outer, { useCaseName: "b", useCaseId: "doc-9" }, ids);
    expect(b).toEqual({ useCaseName: "b", useCaseId: "doc-9" });
  });

  it("useCaseId: null forces a fresh instance of the named use case", () => {
    const ids = counter();
    const outer = applyScope({}, { useCaseName: "a", useCaseId: "fixed" }, ids);
    expect(applyScope(outer, { useCaseId: null }, ids).useCaseId).toBe("id-1");
  });

  it("lists union in first-seen order without duplicates and cannot be cleared", () => {
    const out = mergeScopes(
      [
        { limitIds: ["a", "b"], requestTags: ["x"] },
        { limitIds: ["b", "c", "a"] },
        { requestTags: ["x", "y"] },
      ],
      counter(),
    );
    expect(out.limitIds).toEqual(["a", "b", "c"]);
    expect(out.requestTags).toEqual(["x", "y"]);
  });

  it("maps merge per key, inner wins; null clears the map", () => {
    const out = mergeScopes(
      [{ requestProperties: { a: "1", b: "1" } }, { requestProperties: { b: "2", c: "2" } }],
      counter(),
    );
    expect(out.requestProperties).toEqual({ a: "1", b: "2", c: "2" });
    expect(mergeScopes([{ useCaseProperties: { a: "1" } }, { useCaseProperties: null }], counter())).toEqual(
      {},
    );
  });

  it("results are frozen and inputs are never mutated", () => {
    const first: ScopeAnnotations = { limitIds: ["a"], requestProperties: { k: "v" } };
    const out = mergeScopes([first, { limitIds: ["b"], requestProperties: { k: "w" } }], counter());
    expect(Object.isFrozen(out)).toBe(true);
    expect(Object.isFrozen(out.limitIds)).toBe(true);
    expect(first).toEqual({ limitIds: ["a"], requestProperties: { k: "v" } });
  });
});

const word = fc.stringMatching(/^[a-z]{1,6}$/);
const scopeArb: fc.Arbitrary<ScopeAnnotations> = fc.record(
  {
    userId: fc.option(word, { nil: undefined }),
    accountName: fc.option(fc.option(word, { nil: null }), { nil: undefined }),
    limitIds: fc.option(fc.array(word, { maxLength: 4 }), { nil: undefined }),
    requestTags: fc.option(fc.array(word, { maxLength: 4 }), { nil: undefined }),
    requestProperties: fc.option(fc.dictionary(word, word, { maxKeys: 3 }), { nil: undefined }),
  },
  { requiredKeys: [] },
);

describe("merge laws (property-based)", () => {
  it("union is idempotent: applying a scope twice equals applying it once", () => {
    fc.assert(
      fc.property(fc.array(scopeArb, { maxLength: 5 }), scopeArb, (scopes, last) => {
        const once = mergeScopes([...scopes, last], counter());
        const twice = mergeScopes([...scopes, last, last], counter());
        expect(twice).toEqual(once);
      }),
    );
  });

  it("a later scope that sets a singleton always wins", () => {
    fc.assert(
      fc.property(fc.array(scopeArb, { maxLength: 5 }), word, (scopes, user) => {
        expect(mergeScopes([...scopes, { userId: user }], counter()).userId).toBe(user);
      }),
    );
  });

  it("lists are the ordered union of every scope's entries", () => {
    fc.assert(
      fc.property(fc.array(scopeArb, { maxLength: 6 }), (scopes) => {
        const expected = [...new Set(scopes.flatMap((s) => s.limitIds ?? []))];
        expect(mergeScopes(scopes, counter()).limitIds ?? []).toEqual(expected);
      }),
    );
  });

  it("the order of unrelated keys inside a scope is irrelevant", () => {
    fc.assert(
      fc.property(fc.array(scopeArb, { maxLength: 5 }), (scopes) => {
        const reversed = scopes.map(
          (s) => Object.fromEntries(Object.entries(s).reverse()) as ScopeAnnotations,
        );
        expect(mergeScopes(reversed, counter())).toEqual(mergeScopes(scopes, counter()));
      }),
    );
  });

  it("map merge equals per-key last writer", () => {
    fc.assert(
      fc.property(fc.array(scopeArb, { maxLength: 6 }), (scopes) => {
        const expected: Record<string, string> = {};
        for (const s of scopes) Object.assign(expected, s.requestProperties ?? {});
        const got = mergeScopes(scopes, counter()).requestProperties ?? {};
        expect(got).toEqual(expected);
      }),
    );
  });
});
