// The input estimates behind limit reservations: images by each provider's rule, binary payloads never
// counted as text (docs/limits.md, "The estimate").
import { describe, expect, it } from "vitest";
import { estimateMessagesInput } from "../../src/providers/anthropic/input-estimate.js";
import { estimateConverseInput } from "../../src/providers/bedrock/input-estimate.js";
import { estimateChatInput, estimateResponsesInput } from "../../src/providers/openai/input-estimate.js";

const BASE64 = "A".repeat(400_000);

describe("images are estimated by the provider's rule, not by their bytes", () => {
  const chat = (model: string, detail?: string) =>
    estimateChatInput({
      model,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            {
              type: "image_url",
              image_url: { url: `data:image/png;base64,${BASE64}`, ...(detail ? { detail } : {}) },
            },
          ],
        },
      ],
    });
  const text = estimateChatInput({
    model: "gpt-4o",
    messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }] }],
  });

  it("OpenAI tiles: 85 + 170 per tile, at most 8 tiles; 85 at detail low", () => {
    expect(chat("gpt-4o") - text).toBe(1445);
    expect(chat("gpt-4o", "low") - text).toBe(85);
    expect(chat("gpt-4o-mini") - text).toBe(2833 + 8 * 5667);
    expect(chat("gpt-4.1-mini") - text).toBe(Math.ceil(1536 * 1.62));
    const responses = estimateResponsesInput({
      model: "gpt-4o",
      input: [
        {
          role: "user",
          content: [{ type: "input_image", image_url: `data:image/png;base64,${BASE64}`, detail: "low" }],
        },
      ],
    });
    expect(responses).toBeLessThan(200);
  });

  it("Anthropic and Bedrock: about 1600 tokens an image", () => {
    const anthropic = estimateMessagesInput({
      messages: [
        {
          role: "user",
          content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: BASE64 } }],
        },
      ],
    });
    expect(anthropic).toBe(1600 + 3 + 4);
    const converse = estimateConverseInput({
      messages: [
        { role: "user", content: [{ image: { format: "png", source: { bytes: new Uint8Array(300_000) } } }] },
      ],
    });
    expect(converse).toBe(1600 + 3 + 4);
  });
});

describe("structured input is counted as the JSON it is sent as", () => {
  it("tools and schemas count their keys and punctuation too", () => {
    const tools = [
      {
        type: "function",
        function: { name: "f", parameters: { type: "object", properties: { a: { type: "string" } } } },
      },
    ];
    const without = estimateChatInput({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    const withTools = estimateChatInput({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      tools,
    });
    expect(withTools - without).toBeGreaterThanOrEqual(Math.floor(JSON.stringify(tools).length / 4));
  });

  it("never throws on odd input", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(() =>
      estimateChatInput({ messages: [null, 3, { content: cyclic }], tools: [cyclic] }),
    ).not.toThrow();
    expect(estimateMessagesInput(undefined)).toBe(3);
  });
});
