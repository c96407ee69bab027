import { describe, expect, it } from "vitest";
import { track as trackFromSubpath } from "../../decorators/index.js";
import { AnnotationError, currentAnnotations, track } from "../../src/index.js";

const step = () => currentAnnotations().useCaseStep;

class Worker {
  factor = 3;
  static label = "static";

  @track({ useCaseStep: "sync" })
  sync(a: number, b: number) {
    return { value: (a + b) * this.factor, step: step() };
  }

  @track({ useCaseStep: "async" })
  async asyncMethod(x: number) {
    await new Promise((r) => setTimeout(r, 1));
    return { value: x * this.factor, step: step() };
  }

  @track({ useCaseStep: "gen" })
  *gen(n: number) {
    for (let i = 0; i < n; i++) yield `${i}:${step()}:${this.factor}`;
    return "done";
  }

  @track({ useCaseStep: "agen" })
  async *agen(n: number) {
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, 1));
      yield `${i}:${step()}`;
    }
  }

  @track({ useCaseStep: "static" })
  static stat() {
    // biome-ignore lint/complexity/noThisInStatic: the test is that `this` survives on static methods
    return `${this.label}:${step()}`;
  }

  @track({ useCaseStep: "throws" })
  fails(): never {
    throw new TypeError(`failed in ${step()}`);
  }

  @track({ useCaseStep: "rejects" })
  async rejects(): Promise<never> {
    await Promise.resolve();
    throw new RangeError(`rejected in ${step()}`);
  }
}

describe("@track (TC39 standard decorators)", () => {
  const w = new Worker();

  it("sync methods stay sync, keep this, args and return value", () => {
    expect(w.sync(1, 2)).toEqual({ value: 9, step: "sync" });
    expect(step()).toBeUndefined();
  });

  it("async methods return the result inside the scope", async () => {
    const pending = w.asyncMethod(2);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toEqual({ value: 6, step: "async" });
  });

  it("generators run every step inside the scope, even when consumed outside it", () => {
    const it = w.gen(3);
    expect(step()).toBeUndefined();
    expect(it.next()).toEqual({ value: "0:gen:3", done: false });
    expect([...it]).toEqual(["1:gen:3", "2:gen:3"]);
    expect(Object.prototype.toString.call(w.gen(1))).toBe("[object Generator]");
    const early = w.gen(5);
    early.next();
    expect(early.return("stop")).toEqual({ value: "stop", done: true });
  });

  it("async generators run every step inside the scope", async () => {
    const out: string[] = [];
    for await (const v of w.agen(3)) out.push(v);
    expect(out).toEqual(["0:agen", "1:agen", "2:agen"]);
  });

  it("static methods keep their class as this", () => {
    expect(Worker.stat()).toBe("static:static");
  });

  it("thrown errors and rejections pass through unchanged", async () => {
    expect(() => w.fails()).toThrow(new TypeError("failed in throws"));
    await expect(w.rejects()).rejects.toThrow(new RangeError("rejected in rejects"));
  });

  it("keeps name, length and kind of the wrapped function", () => {
    expect(Worker.prototype.sync.name).toBe("sync");
    expect(Worker.prototype.sync.length).toBe(2);
    expect(Worker.prototype.asyncMethod.constructor.name).toBe("AsyncFunction");
    expect(Worker.prototype.gen.constructor.name).toBe("GeneratorFunction");
  });

  it("refuses to decorate a field or class", () => {
    expect(() => {
      class Bad {
        // @ts-expect-error: track decorates methods only
        @track({ userId: "u" }) field = 1;
      }
      return new Bad();
    }).toThrow(AnnotationError);
  });

  it("is exported from costtrail/decorators as the same function", () => {
    expect(trackFromSubpath).toBe(track);
  });
});

describe("track(opts, fn) on plain and arrow functions", () => {
  it("wraps arrow functions and keeps arguments", () => {
    const add = track({ userId: "u1" }, (a: number, b: number) => `${a + b}:${currentAnnotations().userId}`);
    expect(add(2, 3)).toBe("5:u1");
    expect(add.length).toBe(2);
  });

  it("keeps `this` for function expressions", () => {
    const obj = {
      n: 4,
      get: track({ userId: "u2" }, function (this: { n: number }) {
        return this.n;
      }),
    };
    expect(obj.get()).toBe(4);
  });

  it("an empty track() returns the function itself: it inherits everything", () => {
    const fn = () => 1;
    expect(track({}, fn)).toBe(fn);
  });
});
