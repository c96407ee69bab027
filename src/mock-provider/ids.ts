import { randomBytes } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function base62(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const byte of bytes) out += BASE62[byte % 62];
  return out;
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/** Identifiers in the formats the real APIs use, so code that inspects prefixes behaves the same. */
export const ids = {
  chatCompletion: () => `chatcmpl-${base62(29)}`,
  response: () => `resp_${hex(25)}`,
  responseMessage: () => `msg_${hex(25)}`,
  reasoningItem: () => `rs_${hex(25)}`,
  functionCallItem: () => `fc_${hex(25)}`,
  callId: () => `call_${base62(24)}`,
  anthropicMessage: () => `msg_01${base62(22)}`,
  toolUse: () => `toolu_01${base62(22)}`,
  serverToolUse: () => `srvtoolu_01${base62(22)}`,
  webSearchItem: () => `ws_${hex(25)}`,
  fileSearchItem: () => `fs_${hex(25)}`,
  codeInterpreterItem: () => `ci_${hex(25)}`,
  container: () => `cntr_${hex(25)}`,
  openaiRequest: () => `req_${hex(16)}`,
  openaiFile: () => `file-${base62(22)}`,
  openaiBatch: () => `batch_${hex(16)}`,
  openaiBatchRequest: () => `batch_req_${hex(16)}`,
  anthropicBatch: () => `msgbatch_01${base62(22)}`,
  anthropicRequest: () => `req_011C${base62(20)}`,
  systemFingerprint: () => `fp_${hex(5)}`,
  signature: () => randomBytes(48).toString("base64"),
};
