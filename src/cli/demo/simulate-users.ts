// Simulated users of the document app: each belongs to an account, creates documents and appends to them.
export interface SimulationOptions {
  url: string;
  users: number;
  requests: number;
  concurrency: number;
  accounts: readonly string[];
  onProgress?: (done: number, total: number) => void;
}

export interface SimulationResult {
  byStatus: Record<number, number>;
  blocked: number;
}

const PROMPTS = [
  "the sea at dawn",
  "a quarterly budget",
  "an old lighthouse",
  "cloud invoices",
  "spring rain",
];

/** Deterministic per request index, so every run drives the same load. */
export async function simulateUsers(options: SimulationOptions): Promise<SimulationResult> {
  const { url, users, requests, concurrency, accounts } = options;
  const docsByUser = new Map<number, string[]>();
  const byStatus: Record<number, number> = {};
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < requests; i = next++) {
      const user = i % users;
      const headers = {
        "content-type": "application/json",
        "x-user-id": `user-${String(user + 1).padStart(2, "0")}`,
        "x-account": accounts[user % accounts.length]!,
      };
      const docs = docsByUser.get(user) ?? [];
      // Each user's own rounds: create on every third, append otherwise (independent of the user count).
      const append = docs.length > 0 && Math.floor(i / users) % 3 !== 0;
      const ticket = i % 7 === 3;
      const response = ticket
        ? await fetch(`${url}/tickets`, {
            method: "POST",
            headers,
            body: JSON.stringify({ question: `How do I export ${PROMPTS[i % PROMPTS.length]}?` }),
          })
        : append
          ? await fetch(`${url}/documents/${encodeURIComponent(docs[i % docs.length]!)}/append`, {
              method: "POST",
              headers,
              body: JSON.stringify({ text: `Verse ${i}: ${PROMPTS[(i * 7) % PROMPTS.length]}` }),
            })
          : await fetch(`${url}/documents`, {
              method: "POST",
              headers,
              body: JSON.stringify({ prompt: PROMPTS[i % PROMPTS.length] }),
            });
      const body = (await response.json()) as { documentId?: string };
      if (body.documentId) {
        docsByUser.set(user, [...docs, body.documentId]);
        // The user judges the new document: about seven in ten are accepted.
        const verdict = await fetch(`${url}/documents/${encodeURIComponent(body.documentId)}/accept`, {
          method: "POST",
          headers,
          body: JSON.stringify({ accepted: (i * 37) % 100 < 70 }),
        });
        await verdict.arrayBuffer();
      }
      byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
      options.onProgress?.(++done, requests);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
  return { byStatus, blocked: byStatus[402] ?? 0 };
}
