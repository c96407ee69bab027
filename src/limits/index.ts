export { fireAlert, reached, thresholdsOf } from "./alerts.js";
export {
  LIMIT_MODES,
  LIMIT_WINDOWS,
  type Limit,
  MAX_LIMIT_USD,
  microsToUsd,
  parseLimit,
  parseLimits,
  toDefinition,
  usdToMicros,
} from "./definition.js";
export {
  DEFAULT_REFRESH_MS,
  DEFAULT_RESERVATION_TTL_MS,
  LimitEngine,
  type LimitEngineOptions,
} from "./engine.js";
export {
  DEFAULT_RESERVATION_MAX_AGE_MS,
  DEFAULT_RESERVED_OUTPUT_TOKENS,
  type LimitGate,
  type LimitHold,
  type ReserveRequest,
} from "./gate.js";
export { PostgresLimitGate, type PostgresLimitGateOptions } from "./postgres/gate.js";
export { RESERVATION_TTL_ENV, type StartLimitsOptions, startLimits } from "./start.js";
export type { LimitStatus } from "./status.js";
export { limitStatuses, percentOf } from "./statuses.js";
export {
  deleteLimit,
  hasLimitTables,
  hasStoredLimits,
  type LimitSource,
  limitsVersion,
  readLimit,
  readLimits,
  resetLimit,
  type StoredLimit,
  upsertLimits,
} from "./store.js";
export { windowEnd, windowStart } from "./windows.js";
