// One error hierarchy (issue 15 item 5): every costtrail error is a CostTrailError with a stable code, and one
// helper recognises them — across copies of the package and on the SDK-flavoured LimitExceededError.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AnnotationError,
  COSTTRAIL_ERROR_CODES,
  ConfigError,
  CostTrailError,
  createHeaders,
  instrument,
  isCostTrailError,
  LimitExceededError,
  trackContext,
} from "../../src/index.js";
import { createHarness, type Harness } from "../support/harness.js";

const limitInfo = { limitId: "cap", spentUsd: 1, maxUsd: 1, window: "day" };

describe("the hierarchy", () => {
  it("each error has its code, is a CostTrailError and an Error, and is no other costtrail class", () => {
    const errors = [
      [new AnnotationError("userId", "bad"), "ANNOTATION_INVALID", AnnotationError],
      [new ConfigError("ledger", "bad"), "CONFIG_INVALID", ConfigError],
      [new LimitExceededError(limitInfo), "LIMIT_EXCEEDED", LimitExceededError],
    ] as const;
    for (const [error, code, Class] of errors) {
      expect(error.code).toBe(code);
      expect(error).toBeInstanceOf(CostTrailError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toBeInstanceOf(Class);
      expect(isCostTrailError(error)).toBe(true);
      expect(isCostTrailError(error, code)).toBe(true);
      for (const [, otherCode, Other] of errors) {
        if (Other === Class) continue;
        expect(error).not.toBeInstanceOf(Other);
        expect(isCostTrailError(error, otherCode)).toBe(false);
      }
    }
    expect(COSTTRAIL_ERROR_CODES).toEqual(expect.arrayContaining(errors.map(([, code]) => code)));
  });

  it("other errors are not costtrail errors", () => {
    for (const value of [
      new Error("x"),
      new TypeError("x"),
      { code: "LIMIT_EXCEEDED" },
      "LIMIT_EXCEEDED",
      null,
    ]) {
      expect(isCostTrailError(value)).toBe(false);
      expect(value).not.toBeInstanceOf(CostTrailError);
    }
    const lookalike = Object.assign(new Error("x"), { name: "LimitExceededError", code: "LIMIT_EXCEEDED" });
    expect(lookalike).not.toBeInstanceOf(LimitExceededError);
  });

  it("errors from a second copy of the module are recognised by this one, both ways", async () => {
    // A query string makes the module loader evaluate the file again: a second, independent copy.
    const copy = new URL("../../src/errors.ts?second-copy", import.meta.url).href;
    const second = (await import(copy)) as typeof import("../../src/errors.js");
    expect(second.LimitExceededError).not.toBe(LimitExceededError);
    const theirs = new second.LimitExceededError(limitInfo);
    expect(isCostTrailError(theirs, "LIMIT_EXCEEDED")).toBe(true);
    expect(theirs).toBeInstanceOf(LimitExceededError);
    expect(theirs).toBeInstanceOf(CostTrailError);
    expect(new AnnotationError("f", "m")).toBeInstanceOf(second.AnnotationError);
    expect(second.isCostTrailError(new ConfigError("f", "m"), "CONFIG_INVALID")).toBe(true);
  });
});

describe("errors thrown into user code", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterEach(() => h.stop());
  afterAll(() => h.mock.close());
  const messages = [{ role: "user" as const, content: "hi" }];
  const zero = { id: "zero", maxUsd: 0, window: "day" as const, mode: "block" as const };

  it("a blocked call rejects with an error whose constructor is named LimitExceededError, of every SDK's flavour", async () => {
    h.start({ limits: [zero] });
    const blocked = [
      await trackContext({ limitIds: ["zero"] }, () =>
        h.openai().chat.completions.create({ model: "gpt-4o", messages }),
      ).catch((e: unknown) => e),
      await trackContext({ limitIds: ["zero"] }, () =>
        h.anthropic().messages.create({ model: "claude-haiku-4-5", max_tokens: 10, messages }),
      ).catch((e: unknown) => e),
    ];
    expect(blocked[0]).toBeInstanceOf(OpenAI.OpenAIError);
    expect(blocked[1]).toBeInstanceOf(Anthropic.AnthropicError);
    for (const error of blocked) {
      expect((error as Error).constructor.name).toBe("LimitExceededError");
      expect((error as Error).name).toBe("LimitExceededError");
      expect(String((error as Error).stack)).toMatch(/^LimitExceededError: costtrail: limit "zero"/);
      expect(error).toBeInstanceOf(LimitExceededError);
      expect(error).toBeInstanceOf(CostTrailError);
      expect(isCostTrailError(error, "LIMIT_EXCEEDED")).toBe(true);
      expect(error).toMatchObject({ code: "LIMIT_EXCEEDED", limitId: "zero" });
    }
    expect(new LimitExceededError(limitInfo).constructor.name).toBe("LimitExceededError");
  });

  it("annotation and config errors carry their codes", () => {
    const annotation = (() => {
      try {
        createHeaders({ userId: "" });
      } catch (error) {
        return error;
      }
    })();
    expect(isCostTrailError(annotation, "ANNOTATION_INVALID")).toBe(true);
    expect(annotation).toMatchObject({ code: "ANNOTATION_INVALID", field: "userId" });
    expect(() => instrument({ ledger: 5 as never })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", field: "ledger" }),
    );
  });
});
