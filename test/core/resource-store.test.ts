import { AsyncLocalStorage } from "node:async_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { resourceStoreKey } from "../../src/context/resource-store.js";
import { currentAnnotations, instrument, track, trackContext } from "../../src/index.js";

// Scopes are entered by writing the storage's key on the async resource where Node keeps it there
// (src/context/resource-store.ts); these tests hold that to what AsyncLocalStorage.run does.

afterEach(async () => {
  await instrument({ ledger: false }).shutdown();
});

describe("resourceStoreKey", () => {
  it("finds the key of a real AsyncLocalStorage on Node 20, and it is what getStore reads", () => {
    const storage = new AsyncLocalStorage<object>();
    const key = resourceStoreKey(storage);
    // Node 20 keeps the store on the resource: the fast entry is the one these tests exercise.
    if (process.versions.node.startsWith("20.")) expect(typeof key).toBe("symbol");
    if (key === undefined) return;
    const value = {};
    storage.run(value, () => expect(storage.getStore()).toBe(value));
    expect(storage.getStore()).toBeUndefined();
  });

  it("refuses a storage that keeps its value elsewhere, or has no key", () => {
    // Stand-ins for other AsyncLocalStorage implementations (AsyncContextFrame keeps no key on the resource).
    let held: unknown;
    const elsewhere = {
      kResourceStore: Symbol("kResourceStore"),
      run(value: unknown, fn: () => void) {
        const outer = held;
        held = value;
        try {
          fn();
        } finally {
          held = outer;
        }
      },
      getStore: () => held,
    };
    expect(resourceStoreKey(elsewhere as unknown as AsyncLocalStorage<unknown>)).toBeUndefined();
    const keyless = { run: elsewhere.run, getStore: elsewhere.getStore };
    expect(resourceStoreKey(keyless as unknown as AsyncLocalStorage<unknown>)).toBeUndefined();
    const throwing = {
      kResourceStore: Symbol("kResourceStore"),
      run() {
        throw new Error("no");
      },
    };
    expect(resourceStoreKey(throwing as unknown as AsyncLocalStorage<unknown>)).toBeUndefined();
  });
});

describe("entering a scope as AsyncLocalStorage.run does", () => {
  it("puts the outer scope back after fn returns or throws, for trackContext and track", () => {
    instrument({ globalInstrumentation: false, ledger: false });
    const inner = track({ useCaseStep: "inner" }, () => {
      throw new Error("boom");
    });
    trackContext({ userId: "outer" }, () => {
      expect(() =>
        trackContext({ userId: "inner" }, () => {
          throw new Error("boom");
        }),
      ).toThrow("boom");
      expect(currentAnnotations().userId).toBe("outer");
      expect(inner).toThrow("boom");
      expect(currentAnnotations().useCaseStep).toBeUndefined();
      expect(trackContext({ userId: "inner" }, () => currentAnnotations().userId)).toBe("inner");
      expect(currentAnnotations().userId).toBe("outer");
    });
    expect(currentAnnotations().userId).toBeUndefined();
  });

  it("what fn schedules keeps its scope; what runs after the entry does not see it", async () => {
    instrument({ globalInstrumentation: false, ledger: false });
    const seen: (string | undefined)[] = [];
    const done = trackContext({ userId: "u1" }, () =>
      Promise.all([
        new Promise<void>((r) =>
          setTimeout(() => {
            seen.push(currentAnnotations().userId);
            r();
          }),
        ),
        Promise.resolve().then(() => {
          seen.push(currentAnnotations().userId);
        }),
        (async () => {
          await null;
          seen.push(currentAnnotations().userId);
        })(),
      ]),
    );
    const after = Promise.resolve().then(() => currentAnnotations().userId);
    await done;
    expect(seen).toEqual(["u1", "u1", "u1"]);
    expect(await after).toBeUndefined();
  });

  it("track passes this and every argument through, and its result", () => {
    instrument({ ledger: false });
    const target = {
      base: 40,
      add: track({ useCaseName: "add" }, function (this: { base: number }, a: number, b?: number) {
        // biome-ignore lint/complexity/noArguments: the argument count the caller passed is what is checked
        return [this.base + a, arguments.length, b, currentAnnotations().useCaseName];
      }),
    };
    expect(target.add(2)).toEqual([42, 1, undefined, "add"]);
    expect(target.add(2, 3)).toEqual([42, 2, 3, "add"]);
  });
});
