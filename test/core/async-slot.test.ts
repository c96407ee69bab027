// Async slots (the request or call being made) share the scope tree's one AsyncLocalStorage
// (src/context/README.md): a slot follows its flow, leaves the active scope as it is, and slots of different
// keys nest.
import { afterEach, describe, expect, it } from "vitest";
import { asyncSlot } from "../../src/context/async-slot.js";
import { activeNode, childNode, enterNode } from "../../src/context/scope-tree.js";
import { currentAnnotations, instrument, trackContext } from "../../src/index.js";

afterEach(async () => {
  await instrument({ ledger: false }).shutdown();
});

const tick = () => new Promise((r) => setTimeout(r, 1));

describe("async slots on the scope storage", () => {
  it("follow their flow across awaits and leave the scope as it is", async () => {
    instrument({ globalInstrumentation: false, ledger: false });
    const slot = asyncSlot<string>();
    const seen = await trackContext({ userId: "u1" }, () =>
      slot.run(
        "request-1",
        async () => {
          await tick();
          return [slot.get(), currentAnnotations().userId];
        },
        undefined,
        [],
      ),
    );
    expect(seen).toEqual(["request-1", "u1"]);
    expect(slot.get()).toBeUndefined();
  });

  it("keep concurrent flows apart, and slots of different keys nest", async () => {
    instrument({ globalInstrumentation: false, ledger: false });
    const a = asyncSlot<number>();
    const b = asyncSlot<string>();
    const flows = Array.from({ length: 50 }, (_, i) =>
      a.run(
        i,
        async () => {
          await tick();
          return b.run(
            `b${i}`,
            async () => {
              await tick();
              return `${a.get()}:${b.get()}`;
            },
            undefined,
            [],
          );
        },
        undefined,
        [],
      ),
    );
    expect(await Promise.all(flows)).toEqual(Array.from({ length: 50 }, (_, i) => `${i}:b${i}`));
  });

  it("a scope entered with enterNode inside a slot keeps the slot; trackContext's scope is the app's own", async () => {
    instrument({ globalInstrumentation: false, ledger: false });
    const slot = asyncSlot<string>();
    const seen = await slot.run(
      "request",
      async () => {
        enterNode(childNode(activeNode(), { userId: "entered" }));
        await tick();
        const inEntered = [slot.get(), currentAnnotations().userId];
        const inTracked = await trackContext({ userId: "tracked" }, async () => [
          slot.get(),
          currentAnnotations().userId,
        ]);
        return [inEntered, inTracked];
      },
      undefined,
      [],
    );
    expect(seen).toEqual([
      ["request", "entered"],
      [undefined, "tracked"],
    ]);
  });
});
