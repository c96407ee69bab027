import { LimitExceededError } from "../errors.js";
import type { EventStatus } from "../types.js";

/** Is this the error of a block limit (costtrail's own, or its SDK-flavoured copy)? The one place that asks. */
export function isLimitExceeded(error: unknown): error is LimitExceededError {
  return error instanceof LimitExceededError;
}

/** The event status, HTTP status and error type a failed call is recorded with. */
export function classifyError(error: unknown): {
  status: EventStatus;
  httpStatus?: number;
  errorType: string;
} {
  const e = error as { name?: string; status?: unknown; constructor?: { name?: string } } | undefined;
  const type =
    (e?.constructor?.name && e.constructor.name !== "Error" ? e.constructor.name : e?.name) || "Error";
  if (isLimitExceeded(error)) return { status: "blocked", errorType: type };
  const aborted = type === "APIUserAbortError" || e?.name === "AbortError";
  const out: { status: EventStatus; httpStatus?: number; errorType: string } = {
    status: aborted ? "aborted" : "error",
    errorType: type,
  };
  if (typeof e?.status === "number") out.httpStatus = e.status;
  return out;
}
