// The zod-free fast path of annotation validation (src/annotations/plain-scope.ts) must agree with the zod schema:
// whatever it accepts, zod accepts with the same result; what zod refuses, it leaves to zod.
import { describe, expect, it } from "vitest";
import { scopeGrowth } from "../../src/annotations/merge.js";
import { plainFacts, plainScope } from "../../src/annotations/plain-scope.js";
import { isEmptyScope, scopeAnnotationsSchema } from "../../src/annotations/schema.js";

const long = "x".repeat(512);
const inputs: unknown[] = [
  {},
  { userId: "u" },
  { userId: undefined, accountName: "a" },
  { useCaseName: null, useCaseId: null, useCaseVersion: null, requestProperties: null },
  { useCaseVersion: 0 },
  { useCaseVersion: Number.MAX_SAFE_INTEGER },
  { useCaseVersion: Number.MAX_SAFE_INTEGER + 1 },
  { useCaseVersion: 1.5 },
  { useCaseVersion: -1 },
  { useCaseVersion: Number.NaN },
  { useCaseVersion: "1" },
  { userId: "" },
  { userId: long },
  { userId: `${long}x` },
  { userId: 3 },
  { limitIds: [] },
  { limitIds: ["a", "b", "a"] },
  { limitIds: ["a", ""] },
  { limitIds: Array.from({ length: 64 }, (_, i) => `l${i}`) },
  { limitIds: Array.from({ length: 65 }, (_, i) => `l${i}`) },
  { limitIds: "a" },
  { limitIds: null },
  { limitIds: [1] },
  // biome-ignore lint/suspicious/noSparseArray: a hole must be refused like zod refuses it
  { requestTags: ["a", , "b"] },
  { requestProperties: { plan: "pro", tz: "utc" } },
  { requestProperties: { "": "x" } },
  { requestProperties: { k: "" } },
  { requestProperties: { k: 1 } },
  { requestProperties: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, "v"])) },
  { requestProperties: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"])) },
  { requestProperties: ["a"] },
  { useCaseProperties: Object.assign(Object.create(null), { a: "b" }) },
  JSON.parse('{"requestProperties":{"__proto__":"x"}}'),
  { unknownKey: "x" },
  { userId: "u", extra: undefined },
  { requestTags: undefined, userId: "u" },
  { userId: "u", useCaseName: "out of table order" },
  Object.assign(Object.create(null), { userId: "u" }),
  new (class Scope {
    userId = "u";
  })(),
  [],
  "userId",
  42,
  null,
  undefined,
  { priceAsResource: "gpt-4o", priceAsCategory: "openai", resourceScope: "global", useCaseStep: "s" },
];

describe("plainScope agrees with the zod schema", () => {
  for (const [i, input] of inputs.entries()) {
    it(`input ${i}: ${JSON.stringify(input)?.slice(0, 60)}`, () => {
      const fast = plainScope(input);
      const zod = scopeAnnotationsSchema.safeParse(input ?? {});
      if (fast === undefined) return; // left to zod
      expect(zod.success).toBe(true);
      const expected = Object.fromEntries(Object.entries(zod.data!).filter(([, v]) => v !== undefined));
      expect(fast).toEqual(expected);
      // What trackContext reads instead of measuring the copy again.
      if (plainFacts.scope === fast) {
        expect(plainFacts.growth).toBe(scopeGrowth(fast));
        expect(plainFacts.empty).toBe(isEmptyScope(fast));
      }
    });
  }

  it("measures every non-trivial copy it returns", () => {
    const shapes = [
      { userId: "u" },
      { limitIds: [] },
      { limitIds: ["a", "b"], requestTags: ["t"] },
      { requestProperties: {} },
      { requestProperties: null, useCaseProperties: { a: "b", c: "d" } },
      { userId: undefined },
      { useCaseVersion: 0 },
    ];
    for (const input of shapes) {
      const fast = plainScope(input)!;
      expect(plainFacts.scope).toBe(fast);
      expect({ growth: plainFacts.growth, empty: plainFacts.empty }).toEqual({
        growth: scopeGrowth(fast),
        empty: isEmptyScope(fast),
      });
    }
  });

  it("copies what it returns: a caller changing its object afterwards changes nothing", () => {
    const input = { limitIds: ["a"], requestProperties: { plan: "pro" } };
    const scope = plainScope(input)!;
    input.limitIds.push("b");
    input.requestProperties.plan = "free";
    expect(scope).toEqual({ limitIds: ["a"], requestProperties: { plan: "pro" } });
  });
});
