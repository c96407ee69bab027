/** Exact USD with 6 decimals from integer micro-USD (no float rounding on the way). */
export function formatUsd(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(micros));
  return `${sign}${Math.trunc(abs / 1e6)}.${String(abs % 1e6).padStart(6, "0")}`;
}

/** Exact nano-USD (a decimal string) as USD with 6 decimals, rounded up as costMicros is. */
export function formatNanosAsMicros(nanos: string): string {
  const n = BigInt(nanos);
  const micros = n < 0n ? -((-n + 999n) / 1000n) : (n + 999n) / 1000n;
  const sign = micros < 0n ? "-" : "";
  const abs = micros < 0n ? -micros : micros;
  return `${sign}${abs / 1_000_000n}.${String(abs % 1_000_000n).padStart(6, "0")}`;
}

/** Integers with thousands separators, independent of the machine's locale. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export interface TableColumn {
  header: string;
  align: "left" | "right";
}

/**
 * C0 and C1 control characters, DEL, and the Unicode bidi / line-separator controls: an annotation value holding
 * them could move the cursor, rewrite earlier lines (CR, ESC sequences), set the window title or a hyperlink
 * (OSC), or reorder what the reader sees. docs/cli.md, "Output you can trust".
 */
const UNSAFE_FOR_TERMINAL = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const NAMED_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** A cell as plain printable text: every control character becomes a visible escape (`\x1b`, `\r`, `\u202e`). */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE_FOR_TERMINAL, (ch) => {
    const named = NAMED_ESCAPES[ch];
    if (named) return named;
    const code = ch.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * Aligned plain-text table; `footer` rows (totals) come after a dashed rule. Lines end with \n. Every cell is
 * passed through `escapeForTerminal`: the table's own spaces, dashes and newlines are the only layout printed.
 */
export function renderTable(
  columns: readonly TableColumn[],
  rows: readonly string[][],
  footer: readonly string[][] = [],
): string {
  const all = [columns.map((c) => c.header), ...rows, ...footer].map((r) => r.map(escapeForTerminal));
  const widths = columns.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? "";
        return c.align === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join("  ")
      .trimEnd();
  const out = all.slice(0, rows.length + 1).map(line);
  if (footer.length)
    out.push(widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(rows.length + 1).map(line));
  return `${out.join("\n")}\n`;
}

/** Cells a spreadsheet would run as a formula (OWASP "CSV Injection"): `= + - @`, tab, CR first. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain decimal number (a negative cost, say) is data, not a formula: it keeps its value. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/** A text cell that cannot start a formula: one with a formula's first character gets a `'` in front. */
export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/**
 * RFC 4180: fields with a comma, quote, CR or LF are quoted and quotes doubled; records end with CRLF. Text
 * cells are first neutralised against formula injection (`neutraliseFormula`); numbers are written as they are.
 */
export function toCsv(records: readonly (readonly (string | number | null | undefined)[])[]): string {
  const field = (v: string | number | null | undefined) => {
    const s = v === null || v === undefined ? "" : typeof v === "number" ? String(v) : neutraliseFormula(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return records.map((r) => r.map(field).join(",")).join("\r\n") + "\r\n";
}
