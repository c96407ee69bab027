export { SqliteBatchScopes } from "./batch-scopes.js";
export {
  BUCKETS,
  type Bucket,
  type InstanceDetail,
  type InstanceOptions,
  instanceDetail,
  type PeriodOptions,
  periodTotals,
  type SpendOverTimeOptions,
  type SpendOverTimeResult,
  type SpendSeries,
  spendOverTime,
  type TotalsResult,
} from "./dashboard-queries.js";
export { parseTimeBound, type TimeBound, TimeBoundError } from "./durations.js";
export { LedgerNotFoundError } from "./errors.js";
export { type ExitParticipant, registerExitHooks } from "./exit-hooks.js";
export {
  DEFAULT_MAX_BUFFERED,
  LedgerSink,
  type LedgerStats,
  type OpenLedgerOptions,
  openLedger,
} from "./ledger-sink.js";
export { DEFAULT_LEDGER_PATH, MEMORY_PATH, openDatabase, openLedgerReadonly } from "./open-database.js";
export { PostgresBatchScopes } from "./postgres/batch-scopes.js";
export {
  parseReportOptions,
  REPORT_KEYS,
  type ReportBy,
  type ReportOptions,
  ReportOptionsError,
  type ReportResult,
  type ReportRow,
  recentEvents,
  report,
  reportOptionsSchema,
} from "./queries.js";
export { MIGRATIONS, type Migration, migrate, SCHEMA_VERSION, schemaVersion } from "./schema.js";
