// The call lifecycle, as provider adapters use it: start → (SDK) → observe → finish. See README.md.
export { pendingAdmission } from "./admission.js";
export {
  type BatchLineEnd,
  type BatchLineStart,
  batchEventId,
  finishBatchLine,
  startBatchLine,
} from "./batch-line.js";
export { Call, type CallStart, zeroUsage } from "./call.js";
export { callOnThisPath, runWithCall } from "./current.js";
export { failCall, finishCall, finishWhenCollected, stopWatching } from "./finish.js";
export {
  observeIterator,
  observeIteratorMethod,
  type StreamItem,
  type StreamObserver,
  type StreamOptions,
} from "./observe.js";
export { classifyError, isLimitExceeded } from "./outcome.js";
export {
  finishAbandonedCalls,
  finishCallsAtExit,
  startReaper,
  stopReaper,
} from "./reaper.js";
export { annotationsWith, startCall } from "./start.js";
