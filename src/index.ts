export { type TrackDecorator, type TrackOptions, track } from "../decorators/track.js";
export { createHeaders } from "./annotations/headers.js";
export { currentAnnotations } from "./context/scope-tree.js";
export { trackContext } from "./context/track-context.js";
export {
  AnnotationError,
  COSTTRAIL_ERROR_CODES,
  ConfigError,
  CostTrailError,
  type CostTrailErrorCode,
  isCostTrailError,
  LimitExceededError,
} from "./errors.js";
export { type Instrumentation, instrument } from "./instrument.js";
export { recordKpi } from "./kpis/record-kpi.js";
export { money, setPriceData, updatePrices } from "./pricing/index.js";
export type {
  Annotations,
  CostBreakdown,
  CostDimension,
  CostSource,
  EventStatus,
  InstrumentConfig,
  KpiDefinition,
  KpiGoalOp,
  KpiKind,
  KpiRecord,
  KpiTarget,
  KpiValue,
  LimitAlert,
  LimitDefinition,
  LimitMode,
  LimitWindow,
  Logger,
  PriceOverride,
  ScopeAnnotations,
  ServerToolCalls,
  Sink,
  SinkRecord,
  TokenUsage,
  UsageEvent,
} from "./types.js";
