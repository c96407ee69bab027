import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { currentAnnotations, instrument, track, trackContext } from "../../src/index.js";

afterEach(async () => {
  await instrument({ ledger: false }).shutdown();
});

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe("isolation of concurrent flows", () => {
  it("1,000 interleaved flows each see only their own annotations", async () => {
    instrument({ globalInstrumentation: false, ledger: false });
    const handle = track({ useCaseName: "flow" }, async (i: number) => {
      const seen: unknown[] = [];
      const record = () => {
        const a = currentAnnotations();
        seen.push(`${a.userId}|${a.useCaseStep}`);
        return a.useCaseId;
      };
      const id = record();
      await tick(i % 7);
      record();
      await new Promise<void>((r) =>
        setImmediate(() => {
          record();
          r();
        }),
      );
      await Promise.resolve()
        .then(() => record())
        .then(() => tick(i % 3))
        .then(() => record());
      const emitter = new EventEmitter();
      const heard = new Promise<void>((r) =>
        emitter.on("ping", () => {
          record();
          r();
        }),
      );
      setTimeout(() => emitter.emit("ping"), i % 5);
      await heard;
      const ids = new Set<unknown>([id]);
      await trackContext({ useCaseStep: `inner-${i}` }, async () => {
        await tick(1);
        ids.add(currentAnnotations().useCaseId);
        seen.push(`${currentAnnotations().userId}|${currentAnnotations().useCaseStep}`);
      });
      return { seen, ids };
    });
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => trackContext({ userId: `user-${i}` }, () => handle(i))),
    );
    const instanceIds = new Set<unknown>();
    results.forEach(({ seen, ids }, i) => {
      expect(seen.slice(0, -1).every((s) => s === `user-${i}|undefined`)).toBe(true);
      expect(seen.at(-1)).toBe(`user-${i}|inner-${i}`);
      expect(ids.size).toBe(1); // the nested scope stays in the flow's instance
      for (const id of ids) instanceIds.add(id);
    });
    expect(instanceIds.size).toBe(1000);
  });

  it("with globalInstrumentation the root defaults are visible everywhere, one instance per process", async () => {
    instrument({ ledger: false, defaults: { accountName: "acme", limitIds: ["global"] } });
    const outside = currentAnnotations();
    expect(outside).toMatchObject({ accountName: "acme", limitIds: ["global"] });
    // No name given: the entry script's base name is the root use case.
    expect(outside.useCaseName).toBeTruthy();
    const inside = await trackContext({ userId: "u", limitIds: ["mine"] }, async () => {
      await tick();
      return currentAnnotations();
    });
    expect(inside).toMatchObject({ accountName: "acme", userId: "u", limitIds: ["global", "mine"] });
    expect(inside.useCaseId).toBe(outside.useCaseId);
    await tick();
    expect(currentAnnotations().useCaseId).toBe(outside.useCaseId);
  });

  it("with globalInstrumentation false nothing exists outside a scope", () => {
    instrument({ globalInstrumentation: false, ledger: false, defaults: { accountName: "acme" } });
    expect(currentAnnotations()).toEqual({});
  });

  it("calling instrument again reconfigures the root", () => {
    instrument({ ledger: false, defaults: { useCaseName: "one" } });
    expect(currentAnnotations().useCaseName).toBe("one");
    instrument({ ledger: false, defaults: { useCaseName: "two" } });
    expect(currentAnnotations().useCaseName).toBe("two");
  });

  it("currentAnnotations is frozen", () => {
    const a = trackContext({ userId: "u" }, () => currentAnnotations());
    expect(Object.isFrozen(a)).toBe(true);
  });

  it("trackContext returns what fn returns, value or promise, and propagates throws", async () => {
    expect(trackContext({ userId: "u" }, () => 42)).toBe(42);
    const p = Promise.resolve("v");
    expect(trackContext({ userId: "u" }, () => p)).toBe(p);
    expect(() =>
      trackContext({ userId: "u" }, () => {
        throw new RangeError("boom");
      }),
    ).toThrow(RangeError);
  });

  it("nested same-name scopes (recursion) share the instance; deep recursion is fine", () => {
    const ids = new Set<string | undefined>();
    const recurse: (n: number) => number = track({ useCaseName: "walk" }, (n: number): number => {
      ids.add(currentAnnotations().useCaseId);
      return n === 0 ? 0 : 1 + recurse(n - 1);
    });
    expect(recurse(2000)).toBe(2000);
    expect(ids.size).toBe(1);
  });
});
