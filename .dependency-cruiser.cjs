// The import rules of docs/architecture.md, checked on the compiled output (`npm run check:imports` after
// `npm run build`): a call's path runs one way, and no room reaches back up it.
/** @param {string} from @param {string[]} to */
const forbid = (name, comment, from, to) => ({
  name,
  comment,
  severity: "error",
  from: { path: from },
  to: { path: to },
});

const root = "^dist/src/";
const rooms = (...names) => `^dist/src/(${names.join("|")})(/|\\.js$)`;

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Import cycles make the call path unreadable and the load order fragile.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    forbid(
      "cli-is-the-top",
      "Only the CLI (and its demo) may import the CLI.",
      `${root}(?!cli/)`,
      rooms("cli"),
    ),
    forbid(
      "server-is-for-the-cli",
      "The dashboard server is started by the CLI; the SDK's runtime never imports it.",
      `${root}(?!cli/|server/)`,
      rooms("server"),
    ),
    forbid(
      "mock-provider-stands-alone",
      "The mock provider imitates the providers; it knows nothing of costtrail's call path or storage.",
      rooms("mock-provider"),
      rooms(
        "calls",
        "providers",
        "context",
        "ledger",
        "limits",
        "events",
        "sinks",
        "instrument",
        "runtime",
        "cli",
        "server",
      ),
    ),
    forbid(
      "foundations-do-not-reach-up",
      "annotations, pricing and the base modules know nothing of the call path that uses them.",
      rooms("annotations", "pricing", "types", "errors", "log"),
      rooms(
        "calls",
        "providers",
        "context",
        "ledger",
        "limits",
        "events",
        "sinks",
        "instrument",
        "runtime",
        "cli",
        "server",
        "mock-provider",
      ),
    ),
    forbid(
      "storage-does-not-reach-up",
      "The ledger and limits are below the call path: they never import it.",
      rooms("ledger", "limits"),
      rooms("calls", "providers", "context", "instrument", "cli", "server"),
    ),
    forbid(
      "sinks-do-not-reach-up",
      "Sinks receive finished events; they never import the call path.",
      rooms("events", "sinks"),
      rooms("calls", "providers", "instrument", "cli", "server"),
    ),
    forbid(
      "calls-do-not-know-providers",
      "The call lifecycle is provider-neutral: adapters call into it, never the reverse.",
      rooms("calls"),
      rooms("providers", "instrument", "cli", "server"),
    ),
    {
      name: "context-owns-async-local-storage",
      comment: "Only src/context touches AsyncLocalStorage; the rest uses its scope operations.",
      severity: "error",
      from: { path: "^dist/(src/(?!context/)|decorators/)" },
      to: { dependencyTypes: ["core"], path: "^(node:)?async_hooks$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    moduleSystems: ["es6", "cjs"],
  },
};
