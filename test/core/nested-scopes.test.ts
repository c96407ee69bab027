// Issue 22 item 9: N nested scopes resolve in O(N) (entering one only links it to its parent; a call walks the
// chain once), and what they merge is capped: past MAX_MERGED_LIST entries / MAX_MERGED_MAP_KEYS keys the
// scope that overflows throws AnnotationError naming the field (docs/concepts.md "Caps and cost of nesting").
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AnnotationError,
  createHeaders,
  currentAnnotations,
  type ScopeAnnotations,
  track,
  trackContext,
} from "../../src/index.js";
import { createHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

/**
 * Runs `fn` under `depth` nested trackContext scopes, the i-th (outermost first) writing `scopeAt(i)`; each level
 * awaits before opening the next (as real code does), so the depth costs no stack.
 */
async function nested<R>(
  depth: number,
  scopeAt: (i: number) => ScopeAnnotations,
  fn: () => R,
): Promise<Awaited<R>> {
  const enter = async (i: number): Promise<Awaited<R>> => {
    await null;
    return i === depth ? await fn() : trackContext(scopeAt(i), () => enter(i + 1));
  };
  return enter(0);
}

const ask = (headers?: Record<string, string>) =>
  h
    .openai()
    .chat.completions.create(
      { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], max_tokens: 5 },
      headers ? { headers } : undefined,
    );

describe("deeply nested scopes", () => {
  it("a call under 10,000 nested scopes, one property each, sees the merged annotations", async () => {
    h.start();
    await nested(
      10_000,
      (i) => ({ userId: `u-${i}`, requestProperties: { depth: String(i) }, requestTags: [`t${i % 100}`] }),
      () => ask(),
    );
    const [event] = await h.eventsSettled(1);
    expect(event!.annotations.userId).toBe("u-9999");
    expect(event!.annotations.requestProperties).toEqual({ depth: "9999" });
    expect(event!.annotations.requestTags).toHaveLength(100);
    expect(event!.annotations.requestTags![0]).toBe("t0");
  });

  it("10,000 nested scopes each adding its own property key: AnnotationError at the one past the cap", async () => {
    h.start();
    let thrown: unknown;
    let deepest = 0;
    try {
      await nested(
        10_000,
        (i) => {
          deepest = i;
          return { requestProperties: { [`k${i}`]: "v" } };
        },
        () => currentAnnotations(),
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AnnotationError);
    expect((thrown as AnnotationError).field).toBe("requestProperties");
    expect((thrown as AnnotationError).message).toMatch(/more than 256 keys merged across nested scopes/);
    expect(deepest).toBe(256);
  });

  it("a merged list past its cap throws AnnotationError before the tracked function runs", async () => {
    h.start();
    let ran = false;
    const inner = track({ limitIds: ["one-too-many"] }, () => {
      ran = true;
    });
    await expect(
      nested(
        4,
        (i) => ({ limitIds: Array.from({ length: 64 }, (_, j) => `l${i}-${j}`) }),
        () => inner(),
      ),
    ).rejects.toThrow(expect.objectContaining({ field: "limitIds", name: "AnnotationError" }));
    expect(ran).toBe(false);
  });

  it("the same entries written at every level never reach the cap", async () => {
    h.start();
    const seen = await nested(
      2_000,
      () => ({ limitIds: ["a", "b"], useCaseProperties: { plan: "pro" } }),
      () => currentAnnotations(),
    );
    expect(seen.limitIds).toEqual(["a", "b"]);
    expect(seen.useCaseProperties).toEqual({ plan: "pro" });
  });

  it("request headers that would pass a cap are ignored with a warning; the call goes through, recorded", async () => {
    const warnings: string[] = [];
    h.start({ logger: { warn: (m: string) => warnings.push(m), error: () => {} } });
    const full = Array.from({ length: 64 }, (_, j) => `tag-${j}`);
    await nested(
      4,
      (i) => ({ requestTags: full.map((t) => `${t}-${i}`), userId: "u" }),
      () => ask(createHeaders({ requestTags: ["extra"], useCaseStep: "s" })),
    );
    const [event] = await h.eventsSettled(1);
    expect(event!.status).toBe("ok");
    expect(event!.annotations.userId).toBe("u");
    expect(event!.annotations.useCaseStep).toBeUndefined();
    expect(event!.annotations.requestTags).toHaveLength(256);
    expect(warnings.join("\n")).toMatch(/requestTags has more than 256 entries merged/);
    // The headers were still stripped before the request left the process.
    expect(JSON.stringify(h.mock.requests[0]!.headers)).not.toMatch(/x-costtrail/);
  });
});
