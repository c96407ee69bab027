import type { MockProviderName } from "./types.js";

/** An error the mock answers with, before it is put in a provider's shape. */
export interface MockError {
  status: number;
  message: string;
  param?: string | null;
  /** OpenAI's `code`, e.g. "rate_limit_exceeded"; defaults by status. */
  code?: string | null;
}

function openaiType(status: number): { type: string; code: string | null } {
  switch (status) {
    case 400:
      return { type: "invalid_request_error", code: null };
    case 401:
      return { type: "invalid_request_error", code: "invalid_api_key" };
    case 403:
      return { type: "invalid_request_error", code: "unsupported_country_region_territory" };
    case 404:
      return { type: "invalid_request_error", code: null };
    case 429:
      return { type: "requests", code: "rate_limit_exceeded" };
    default:
      return status >= 500
        ? { type: "server_error", code: null }
        : { type: "invalid_request_error", code: null };
  }
}

function anthropicType(status: number): string {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

/** Bedrock Runtime's modelled error for a status, as its `x-amzn-errortype` header names it. */
export function bedrockErrorCode(status: number): string {
  switch (status) {
    case 400:
      return "ValidationException";
    case 401:
    case 403:
      return "AccessDeniedException";
    case 404:
      return "ResourceNotFoundException";
    case 408:
      return "ModelTimeoutException";
    case 424:
      return "ModelErrorException";
    case 429:
      return "ThrottlingException";
    case 503:
      return "ServiceUnavailableException";
    default:
      return status >= 500 ? "InternalServerException" : "ValidationException";
  }
}

/** AWS REST-JSON error headers: the SDK picks the exception class from `x-amzn-errortype`. */
export function bedrockErrorHeaders(status: number): Record<string, string> {
  return {
    "x-amzn-errortype": `${bedrockErrorCode(status)}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
  };
}

/**
 * `{error:{message,type,param,code}}` for OpenAI and Azure; `{type:"error", error:{type,message}}` for
 * Anthropic; `{message}` for Bedrock (its exception type travels in `x-amzn-errortype`).
 */
export function errorBody(provider: MockProviderName, error: MockError, requestId: string): unknown {
  if (provider === "bedrock") return { message: error.message };
  if (provider === "anthropic") {
    return {
      type: "error",
      error: { type: anthropicType(error.status), message: error.message },
      request_id: requestId,
    };
  }
  const defaults = openaiType(error.status);
  return {
    error: {
      message: error.message,
      type: defaults.type,
      param: error.param ?? null,
      code: error.code === undefined ? defaults.code : error.code,
    },
  };
}

/** The default message for a fault's status, worded like the real APIs. */
export function defaultFaultMessage(status: number): string {
  switch (status) {
    case 400:
      return "Invalid request (injected by the mock provider).";
    case 401:
      return "Incorrect API key provided.";
    case 429:
      return "Rate limit reached (injected by the mock provider). Please try again later.";
    case 529:
      return "Overloaded";
    default:
      return status >= 500
        ? "The server had an error while processing your request (injected by the mock provider)."
        : `Request failed with status ${status} (injected by the mock provider).`;
  }
}
