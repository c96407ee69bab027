// The zod-free fast path of annotation validation (src/annotations/plain-scope.ts) must agree with the zod schema:
// whatever it accepts, zod accepts with the same result; what zod refuses, it leaves to zod.
import { describe, expect, it } from "vitest";
import { plainScope } from "../../src/annotations/plain-scope.js";
import { scopeAnnotationsSchema } from "../../src/annotations/schema.js";

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
    });
  }

  it("copies what it returns: a caller changing its object afterwards changes nothing", () => {
    const input = { limitIds: ["a"], requestProperties: { plan: "pro" } };
    const scope = plainScope(input)!;
    input.limitIds.push("b");
    input.requestProperties.plan = "free";
    expect(scope).toEqual({ limitIds: ["a"], requestProperties: { plan: "pro" } });
  });
});
