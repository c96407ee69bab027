// The seed docs' examples (../shared/reference/001, 002), transcribed to TypeScript. A provider call is
// stood in for by `currentAnnotations()`, which is exactly what the adapters resolve at call time.
import { afterEach, describe, expect, it } from "vitest";
import { currentAnnotations, instrument, track, trackContext } from "../../src/index.js";

afterEach(async () => {
  await instrument({ ledger: false }).shutdown();
});

describe("Day 2: @track", () => {
  it("outer_function / inner_function (empty @track inherits) / specific_function (own name wins)", () => {
    const seen: Record<string, ReturnType<typeof currentAnnotations>> = {};
    class Flows {
      @track({ useCaseName: "outer_function" })
      outerFunction() {
        seen.outer = currentAnnotations();
        this.innerFunction();
        this.specificFunction();
      }
      @track()
      innerFunction() {
        seen.inner = currentAnnotations();
      }
      @track({ useCaseName: "specific_function" })
      specificFunction() {
        seen.specific = currentAnnotations();
      }
    }
    new Flows().outerFunction();
    expect(seen.outer?.useCaseName).toBe("outer_function");
    expect(seen.inner).toEqual(seen.outer);
    expect(seen.specific?.useCaseName).toBe("specific_function");
    expect(seen.specific?.useCaseId).not.toBe(seen.outer?.useCaseId);
  });

  it("document_summary: a fresh instance id per call, shared by every call inside", async () => {
    const calls: { call: number; id: string | undefined }[] = [];
    const summarizeDocument = track({ useCaseName: "document_summary" }, async (text: string) => {
      calls.push({ call: 1, id: currentAnnotations().useCaseId });
      await new Promise((r) => setTimeout(r, 1));
      calls.push({ call: 2, id: currentAnnotations().useCaseId });
      return text.length;
    });
    await summarizeDocument("one");
    await summarizeDocument("two");
    expect(calls).toHaveLength(4);
    expect(calls[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls[1]?.id).toBe(calls[0]?.id);
    expect(calls[3]?.id).toBe(calls[2]?.id);
    expect(calls[2]?.id).not.toBe(calls[0]?.id);
  });
});

describe("Instrumenting a web server (globalInstrumentation: false)", () => {
  class DocumentGenerator {
    @track({ useCaseName: "create_document" })
    async createDocument(prompt: string) {
      await Promise.resolve();
      return { prompt, annotations: currentAnnotations() };
    }
    async appendDocument(documentId: string, text: string) {
      return trackContext({ useCaseName: "append_document", useCaseId: documentId }, async () => {
        await new Promise((r) => setImmediate(r));
        return { text, annotations: currentAnnotations() };
      });
    }
  }

  it("create_document is a new instance per request; append_document groups by document id", async () => {
    instrument({ globalInstrumentation: false, ledger: false });
    const app = new DocumentGenerator();
    const created = await Promise.all(["a", "b", "c"].map((p) => app.createDocument(p)));
    const ids = created.map((c) => c.annotations.useCaseId);
    expect(new Set(ids).size).toBe(3);
    for (const c of created) expect(c.annotations.useCaseName).toBe("create_document");

    const appends = await Promise.all([
      app.appendDocument("doc-1", "x"),
      app.appendDocument("doc-2", "y"),
      app.appendDocument("doc-1", "z"),
    ]);
    expect(appends.map((a) => a.annotations)).toEqual([
      { useCaseName: "append_document", useCaseId: "doc-1" },
      { useCaseName: "append_document", useCaseId: "doc-2" },
      { useCaseName: "append_document", useCaseId: "doc-1" },
    ]);
    // Outside any scope, nothing leaks.
    expect(currentAnnotations()).toEqual({});
  });
});
