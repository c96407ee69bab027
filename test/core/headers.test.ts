import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HEADER_PREFIX, parseAnnotationHeaders } from "../../src/annotations/headers.js";
import { createHeaders } from "../../src/index.js";

describe("createHeaders / parseAnnotationHeaders", () => {
  it("produces x-costtrail-* headers: lists comma-joined, maps JSON", () => {
    const headers = createHeaders({
      useCaseName: "chat",
      useCaseVersion: 2,
      userId: "u-1",
      limitIds: ["daily", "team"],
      requestProperties: { plan: "pro" },
    });
    expect(headers).toEqual({
      "x-costtrail-use-case-name": "chat",
      "x-costtrail-use-case-version": "2",
      "x-costtrail-user-id": "u-1",
      "x-costtrail-limit-ids": "daily,team",
      "x-costtrail-request-properties": '{"plan":"pro"}',
    });
  });

  it("round-trips every annotation, including values that would break a header", () => {
    const tricky = fc.string({ minLength: 1, maxLength: 40, unit: "binary" });
    fc.assert(
      fc.property(tricky, tricky, tricky, (a, b, c) => {
        const input = {
          userId: a,
          limitIds: [a, b],
          requestTags: [c],
          useCaseProperties: { [b === "__proto__" ? "proto" : b]: c }, // __proto__ is refused (validation test)
          useCaseVersion: 7,
        };
        const headers = createHeaders(input);
        for (const value of Object.values(headers))
          expect(value).toMatch(/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$|^$/);
        // Real HTTP header containers accept them.
        expect(() => new Headers(headers)).not.toThrow();
        const parsed = parseAnnotationHeaders(new Headers(headers));
        expect(parsed.problem).toBeUndefined();
        const expected = { ...input, limitIds: [...new Set([a, b])] };
        expect({ ...parsed.scope, limitIds: [...new Set(parsed.scope?.limitIds)] }).toEqual(expected);
      }),
    );
  });

  it("null becomes an empty value meaning clear", () => {
    const headers = createHeaders({ userId: null, requestProperties: null });
    expect(headers).toEqual({ "x-costtrail-user-id": "", "x-costtrail-request-properties": "" });
    expect(parseAnnotationHeaders(headers).scope).toEqual({ userId: null, requestProperties: null });
  });

  it("finds headers case-insensitively in records and pair arrays, and lists the names to strip", () => {
    const parsed = parseAnnotationHeaders({ "X-CostTrail-User-Id": "u", "x-other": "1" });
    expect(parsed.scope).toEqual({ userId: "u" });
    expect(parsed.names).toEqual(["X-CostTrail-User-Id"]);
    expect(parseAnnotationHeaders([["x-costtrail-account-name", "acme"]]).scope).toEqual({
      accountName: "acme",
    });
    expect(parseAnnotationHeaders({ "x-other": "1" })).toEqual({ scope: undefined, names: [] });
  });

  it("an unknown x-costtrail-* header is listed for stripping and reported, the known ones still apply", () => {
    const parsed = parseAnnotationHeaders({ "x-costtrail-user": "typo", "x-costtrail-user-id": "u" });
    expect(parsed.names).toEqual(["x-costtrail-user", "x-costtrail-user-id"]);
    expect(parsed.scope).toEqual({ userId: "u" });
    expect(parsed.problem).toMatch(/unknown costtrail header x-costtrail-user/);
  });

  it("a malformed hand-written header is reported, not thrown", () => {
    const parsed = parseAnnotationHeaders({ [`${HEADER_PREFIX}request-properties`]: "{not json" });
    expect(parsed.scope).toBeUndefined();
    expect(parsed.names).toHaveLength(1);
    expect(parsed.problem).toBeTruthy();
    expect(parseAnnotationHeaders({ [`${HEADER_PREFIX}use-case-version`]: "1.5" }).problem).toMatch(
      /useCaseVersion/,
    );
  });
});
