// The provider toolkit's small parts: the one patch primitive, the SDK version check, the one log prefix.
import { afterEach, describe, expect, it, vi } from "vitest";
import { log } from "../../src/log.js";
import { isPatched, patchMethod } from "../../src/providers/toolkit/patch.js";
import { checkSdkVersion, satisfies } from "../../src/providers/toolkit/sdk-version.js";

function recording() {
  const lines: string[] = [];
  log.use({ warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) });
  return lines;
}
afterEach(() => log.use(undefined));

describe("patchMethod", () => {
  class Base {
    hello(name: string) {
      return `hello ${name}`;
    }
  }
  class Child extends Base {}
  class Other extends Base {}

  it("wraps where the method is defined, once, and the undo restores it exactly", () => {
    const before = Object.getOwnPropertyDescriptor(Base.prototype, "hello");
    const wrap = (original: (...a: any[]) => any) =>
      function (this: unknown, ...args: any[]) {
        return `[${Reflect.apply(original, this, args)}]`;
      };
    const undo = patchMethod("test hello", Child.prototype, "hello", wrap);
    expect(new Child().hello("a")).toBe("[hello a]");
    expect(new Other().hello("b")).toBe("[hello b]"); // the owner (Base) was patched
    expect(Base.prototype.hello.name).toBe("hello");
    expect(isPatched(Base.prototype.hello)).toBe(true);
    // Idempotent: a method that is ours is not wrapped again.
    expect(patchMethod("test hello", Base.prototype, "hello", wrap)).toBeUndefined();
    expect(new Child().hello("a")).toBe("[hello a]");
    undo!();
    expect(Object.getOwnPropertyDescriptor(Base.prototype, "hello")).toEqual(before);
    undo!(); // twice is harmless
    expect(new Child().hello("a")).toBe("hello a");
  });

  it('at: "here" gives one subclass its own wrapper that delegates to the base at call time', () => {
    const undo = patchMethod(
      "test here",
      Child.prototype,
      "hello",
      (original) =>
        function (this: unknown, ...a: any[]) {
          return `<${Reflect.apply(original, this, a)}>`;
        },
      "here",
    );
    expect(new Child().hello("a")).toBe("<hello a>");
    expect(new Other().hello("b")).toBe("hello b");
    const base = Base.prototype.hello;
    Base.prototype.hello = (name: string) => `hi ${name}`;
    try {
      expect(new Child().hello("a")).toBe("<hi a>");
    } finally {
      Base.prototype.hello = base;
    }
    undo!();
    expect(Object.hasOwn(Child.prototype, "hello")).toBe(false);
  });

  it("a method the SDK lacks is skipped with one warning", () => {
    const lines = recording();
    expect(patchMethod("sdk missing.piece", Child.prototype, "nope", (o) => o)).toBeUndefined();
    patchMethod("sdk missing.piece", Child.prototype, "nope", (o) => o);
    expect(lines).toEqual([
      "warn sdk missing.piece was not found in this SDK version; it is not instrumented",
    ]);
  });
});

describe("SDK version ranges", () => {
  it("reads the ranges the provider tables declare", () => {
    expect(satisfies("5.0.0", ">=5.0.0 <8.0.0")).toBe(true);
    expect(satisfies("7.57.1", ">=5.0.0 <8.0.0")).toBe(true);
    expect(satisfies("8.0.0", ">=5.0.0 <8.0.0")).toBe(false);
    expect(satisfies("4.99.0", ">=5.0.0 <8.0.0")).toBe(false);
    expect(satisfies("1.12.0-beta.1", ">=0.30.0 <2.0.0")).toBe(true);
    expect(satisfies("0.29.9", ">=0.30.0 <2.0.0")).toBe(false);
    expect(satisfies("2.1.0", "<1 || >=2")).toBe(true);
    expect(satisfies("not-a-version", ">=1")).toBe(false);
  });

  it("says once, clearly, when an installed SDK is outside its range", () => {
    const lines = recording();
    checkSdkVersion("openai", "6.49.0", ">=5.0.0 <8.0.0");
    checkSdkVersion("fake-sdk", "9.1.0", ">=5.0.0 <8.0.0");
    checkSdkVersion("fake-sdk", "9.1.0", ">=5.0.0 <8.0.0");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^warn fake-sdk@9\.1\.0 is outside the versions costtrail supports \(>=5\.0\.0 <8\.0\.0\)/,
    );
  });
});

describe("the log prefix", () => {
  it("is added once by the console logger, never twice", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      log.warn("costtrail: ledger is shut down");
      log.warn("plain message");
      expect(warn.mock.calls.map((c) => c[0])).toEqual([
        "[costtrail] ledger is shut down",
        "[costtrail] plain message",
      ]);
    } finally {
      warn.mockRestore();
    }
  });
});
