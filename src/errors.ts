// Every error costtrail defines, in one hierarchy with stable codes (docs/api.md, "Errors").

/** Stable, public codes: a code is never renamed or reused. */
export const COSTTRAIL_ERROR_CODES = [
  "ANNOTATION_INVALID",
  "CONFIG_INVALID",
  "LIMIT_EXCEEDED",
  "LEDGER_NOT_FOUND",
  "CLI_USAGE",
] as const;
export type CostTrailErrorCode = (typeof COSTTRAIL_ERROR_CODES)[number];

/**
 * The brand every costtrail error carries, its value the code. A registered symbol, so errors are recognised
 * across copies of the package (an app loading both `src` and `dist`, or two installed versions) and on the
 * SDK-flavoured copies of LimitExceededError, which are not CostTrailErrors by prototype.
 */
const BRAND = Symbol.for("costtrail.error");

function brand(error: Error, code: CostTrailErrorCode): void {
  Object.defineProperty(error, BRAND, { value: code });
}

/**
 * Is `error` a costtrail error (of this `code`, when given)? The one test for every costtrail error; also what
 * `instanceof` on these classes runs.
 */
export function isCostTrailError(error: unknown, code?: CostTrailErrorCode): error is CostTrailError {
  if (typeof error !== "object" || error === null) return false;
  const branded = (error as Record<symbol, unknown>)[BRAND];
  return typeof branded === "string" && (code === undefined || branded === code);
}

/** The base of every error costtrail throws; `code` says which one it is. */
export abstract class CostTrailError extends Error {
  /** The code of the subclass's instances; `instanceof` on a subclass compares it. */
  static readonly code: CostTrailErrorCode | undefined = undefined;
  readonly code: CostTrailErrorCode;

  constructor(code: CostTrailErrorCode, message: string) {
    super(message);
    this.code = code;
    brand(this, code);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass `instanceof` was asked about.
    return isCostTrailError(value, (this as { code?: CostTrailErrorCode }).code);
  }
}

/** A bad annotation value. Thrown where the annotation is written (decoration, trackContext, createHeaders). */
export class AnnotationError extends CostTrailError {
  static override readonly code = "ANNOTATION_INVALID";
  override readonly name = "AnnotationError";
  declare readonly code: "ANNOTATION_INVALID";
  /** Dotted path of the offending field, e.g. `limitIds.0`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super("ANNOTATION_INVALID", message);
    this.field = field;
  }
}

/** A bad `instrument()` (or `otelSink()`) configuration. Thrown by the call that takes it, never from a provider call. */
export class ConfigError extends CostTrailError {
  static override readonly code = "CONFIG_INVALID";
  override readonly name = "ConfigError";
  declare readonly code: "CONFIG_INVALID";
  readonly field: string;
  constructor(field: string, message: string) {
    super("CONFIG_INVALID", message);
    this.field = field;
  }
}

interface LimitInfo {
  limitId: string;
  spentUsd: number;
  maxUsd: number;
  window: string;
}

/**
 * A block limit would be exceeded: the provider was not contacted. `instanceof` recognises it by its brand, so
 * the copy an SDK adapter throws as a subclass of the SDK's own error class (which the SDKs' stream helpers
 * pass through instead of wrapping) is a `LimitExceededError` too.
 */
export class LimitExceededError extends CostTrailError {
  static override readonly code = "LIMIT_EXCEEDED";
  override readonly name = "LimitExceededError";
  declare readonly code: "LIMIT_EXCEEDED";
  declare readonly limitId: string;
  declare readonly spentUsd: number;
  declare readonly maxUsd: number;
  declare readonly window: string;
  constructor(info: LimitInfo) {
    super("LIMIT_EXCEEDED", limitMessage(info));
    initLimitError(this, info);
  }
}

function limitMessage(info: LimitInfo): string {
  return `costtrail: limit "${info.limitId}" would be exceeded ($${info.spentUsd.toFixed(6)} spent of $${info.maxUsd} per ${info.window}); the call was not sent`;
}

/** The fields, code and brand, shared by LimitExceededError and its SDK-flavoured copies. */
function initLimitError(error: Error, info: LimitInfo): void {
  const { limitId, spentUsd, maxUsd, window } = info;
  Object.assign(error, { limitId, spentUsd, maxUsd, window, code: "LIMIT_EXCEEDED" });
  brand(error, "LIMIT_EXCEEDED");
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
    // What the user sees in `error.constructor.name` and in stack-trace headers, as for the class itself.
    Object.defineProperty(Flavour, "name", { value: "LimitExceededError" });
    sdkFlavours.set(SdkError, Flavour);
  }
  const flavoured = new Flavour(error);
  flavoured.stack = error.stack;
  return flavoured;
}

/** The ledger file to read does not exist or is not a costtrail ledger. */
export class LedgerNotFoundError extends CostTrailError {
  static override readonly code = "LEDGER_NOT_FOUND";
  override readonly name = "LedgerNotFoundError";
  declare readonly code: "LEDGER_NOT_FOUND";
  readonly path: string;
  constructor(path: string, message: string) {
    super("LEDGER_NOT_FOUND", message);
    this.path = path;
  }
}

/** Bad use of the CLI (a flag's value, a missing limit, a busy port): reported as one line, exit 2. */
export class CliError extends CostTrailError {
  static override readonly code = "CLI_USAGE";
  override readonly name = "CliError";
  declare readonly code: "CLI_USAGE";
  constructor(message: string) {
    super("CLI_USAGE", message);
  }
}
