/** A bad annotation value. Thrown where the annotation is written (decoration, trackContext, createHeaders). */
export class AnnotationError extends Error {
  override readonly name = "AnnotationError";
  /** Dotted path of the offending field, e.g. `limitIds.0`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** A bad `instrument()` configuration. Thrown by `instrument()` itself, never from a provider call. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

const LIMIT_BRAND = Symbol.for("costtrail.LimitExceededError");

interface LimitInfo {
  limitId: string;
  spentUsd: number;
  maxUsd: number;
  window: string;
}

/**
 * A block limit would be exceeded: the provider was not contacted. `instanceof` recognises it by a brand, so
 * the copy an SDK adapter throws as a subclass of the SDK's own error class (which the SDKs' stream helpers
 * pass through instead of wrapping) is a `LimitExceededError` too.
 */
export class LimitExceededError extends Error {
  override readonly name = "LimitExceededError";
  declare readonly limitId: string;
  declare readonly spentUsd: number;
  declare readonly maxUsd: number;
  declare readonly window: string;
  constructor(info: LimitInfo) {
    super(limitMessage(info));
    initLimitError(this, info);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[LIMIT_BRAND] === true
    );
  }
}

function limitMessage(info: LimitInfo): string {
  return `costtrail: limit "${info.limitId}" would be exceeded ($${info.spentUsd.toFixed(6)} spent of $${info.maxUsd} per ${info.window}); the call was not sent`;
}

/** The fields and the brand, shared by LimitExceededError and its SDK-flavoured copies. */
function initLimitError(error: Error, info: LimitInfo): void {
  const { limitId, spentUsd, maxUsd, window } = info;
  Object.assign(error, { limitId, spentUsd, maxUsd, window });
  Object.defineProperty(error, LIMIT_BRAND, { value: true });
}

const sdkFlavours = new WeakMap<Function, new (info: LimitInfo) => Error>();

/** The same error as an instance of an SDK's base error class (cached per class). */
export function limitErrorFor(
  error: LimitExceededError,
  SdkError: (new (message: string) => Error) | undefined,
): Error {
  if (typeof SdkError !== "function") return error;
  let Flavour = sdkFlavours.get(SdkError);
  if (!Flavour) {
    Flavour = class extends SdkError {
      override readonly name = "LimitExceededError";
      constructor(info: LimitInfo) {
        super(limitMessage(info));
        initLimitError(this, info);
      }
    };
    sdkFlavours.set(SdkError, Flavour);
  }
  const flavoured = new Flavour(error);
  flavoured.stack = error.stack;
  return flavoured;
}
