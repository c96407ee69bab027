// Runs the mock provider in its own process so the benchmark's CPU figures are the client's alone.
import { startMockProvider } from "../src/testing.js";

const mock = await startMockProvider();
process.stdout.write(`${JSON.stringify({ url: mock.url, openaiBaseURL: mock.openaiBaseURL })}\n`);
process.on("SIGTERM", () => void mock.close().then(() => process.exit(0)));
