import { AzureOpenAI } from "openai";
import { describe, expect, it } from "vitest";
import { countTokens } from "../../src/testing.js";
import { useMock } from "./helpers.js";

const c = useMock({ azureDeployments: { "prod-chat": "gpt-4o-mini-2024-07-18" } });

describe("OpenAI embeddings", () => {
  it("decodes the default base64 encoding to the same vector the float encoding returns", async () => {
    const viaBase64 = await c.openai.embeddings.create({
      model: "text-embedding-3-small",
      input: "hello world",
    });
    const viaFloat = await c.openai.embeddings.create({
      model: "text-embedding-3-small",
      input: "hello world",
      encoding_format: "float",
    });
    expect(c.mock.requests[0]!.body).toMatchObject({ encoding_format: "base64" });
    const vector = viaBase64.data[0]!.embedding;
    expect(vector).toHaveLength(1536);
    expect(vector).toEqual(viaFloat.data[0]!.embedding);
    const norm = Math.sqrt(vector.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(viaBase64.usage).toEqual({ prompt_tokens: countTokens("hello world"), total_tokens: 3 });
    expect(c.mock.requests[0]).toMatchObject({
      operation: "embeddings",
      stream: false,
      usage: { inputTokens: 3, outputTokens: 0 },
    });
  });

  it("accepts an array input and honours dimensions", async () => {
    const result = await c.openai.embeddings.create({
      model: "text-embedding-3-large",
      input: ["a".repeat(8), "b".repeat(12)],
      dimensions: 256,
    });
    expect(result.data.map((d) => [d.index, d.embedding.length])).toEqual([
      [0, 256],
      [1, 256],
    ]);
    expect(result.usage.prompt_tokens).toBe(5);
    expect(result.model).toBe("text-embedding-3-large");
  });
});

describe("Azure OpenAI", () => {
  it("serves chat on the deployment path, reporting the underlying model", async () => {
    const completion = await c.azure.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "x".repeat(40) }],
    });
    expect(completion.model).toBe("gpt-4o-2024-08-06");
    expect(
      (completion as unknown as { prompt_filter_results: unknown[] }).prompt_filter_results,
    ).toHaveLength(1);
    expect(completion.usage!.prompt_tokens).toBe(17);
    const [recorded] = c.mock.requests;
    expect(recorded).toMatchObject({
      path: "/openai/deployments/gpt-4o/chat/completions",
      query: { "api-version": "2024-10-21" },
      provider: "azure-openai",
      operation: "chat",
      status: 200,
    });
    expect(recorded!.headers["api-key"]).toBe("test");
  });

  it("maps a custom deployment name through azureDeployments, also when streaming", async () => {
    const azure = new AzureOpenAI({
      endpoint: c.mock.azureEndpoint,
      apiKey: "test",
      apiVersion: "2024-10-21",
      deployment: "prod-chat",
      maxRetries: 0,
    });
    const final = await azure.chat.completions
      .stream({
        model: "prod-chat",
        messages: [{ role: "user", content: "hi" }],
        stream_options: { include_usage: true },
      })
      .finalChatCompletion();
    expect(final.model).toBe("gpt-4o-mini-2024-07-18");
    expect(final.usage!.completion_tokens).toBe(countTokens(final.choices[0]!.message.content!));
    expect(c.mock.requests[0]).toMatchObject({
      path: "/openai/deployments/prod-chat/chat/completions",
      stream: true,
    });
  });

  it("serves embeddings on the deployment path", async () => {
    const result = await c.azure.embeddings.create({ model: "text-embedding-3-small", input: "hello world" });
    expect(result.data[0]!.embedding).toHaveLength(1536);
    expect(result.model).toBe("text-embedding-3-small");
    expect(c.mock.requests[0]).toMatchObject({
      path: "/openai/deployments/text-embedding-3-small/embeddings",
      provider: "azure-openai",
      operation: "embeddings",
      usage: { inputTokens: 3 },
    });
  });

  it("serves the Responses API on /openai/responses", async () => {
    const response = await c.azure.responses.create({ model: "gpt-4o", input: "hi" });
    expect(response.status).toBe("completed");
    expect(c.mock.requests[0]).toMatchObject({
      path: "/openai/responses",
      provider: "azure-openai",
      operation: "responses",
    });
  });
});
