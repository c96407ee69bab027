// `costtrail/testing`: a local mock of the OpenAI, Azure OpenAI, Anthropic and Bedrock APIs for testing
// instrumented code offline. See docs/testing.md.

export type {
  Fault,
  FaultMatch,
  MockAdminOptions,
  MockExtraCharge,
  MockOperation,
  MockProvider,
  MockProviderName,
  MockProviderOptions,
  MockUnseenCall,
  MockUsage,
  MockUsageRequest,
  RecordedRequest,
} from "./mock-provider/index.js";
export { countTokens, startMockProvider } from "./mock-provider/index.js";
