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

/** A block limit would be exceeded: the provider was not contacted. */
export class LimitExceededError extends Error {
  override readonly name = "LimitExceededError";
  readonly limitId: string;
  readonly spentUsd: number;
  readonly maxUsd: number;
  readonly window: string;
  constructor(info: { limitId: string; spentUsd: number; maxUsd: number; window: string }) {
    super(
      `costtrail: limit "${info.limitId}" would be exceeded ($${info.spentUsd.toFixed(6)} spent of $${info.maxUsd} per ${info.window}); the call was not sent`,
    );
    this.limitId = info.limitId;
    this.spentUsd = info.spentUsd;
    this.maxUsd = info.maxUsd;
    this.window = info.window;
  }
}
