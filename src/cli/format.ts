/** Exact USD with 6 decimals from integer micro-USD (no float rounding on the way). */
export function formatUsd(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(micros));
  return `${sign}${Math.trunc(abs / 1e6)}.${String(abs % 1e6).padStart(6, "0")}`;
}

/** Integers with thousands separators, independent of the machine's locale. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export interface TableColumn {
  header: string;
  align: "left" | "right";
}

/** Aligned plain-text table; `footer` rows (totals) come after a dashed rule. Lines end with \n. */
export function renderTable(
  columns: readonly TableColumn[],
  rows: readonly string[][],
  footer: readonly string[][] = [],
): string {
  const all = [columns.map((c) => c.header), ...rows, ...footer];
  const widths = columns.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? "";
        return c.align === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join("  ")
      .trimEnd();
  const out = [line(all[0]!), ...rows.map(line)];
  if (footer.length) out.push(widths.map((w) => "-".repeat(w)).join("  "), ...footer.map(line));
  return `${out.join("\n")}\n`;
}

/** RFC 4180: fields with a comma, quote, CR or LF are quoted and quotes doubled; records end with CRLF. */
export function toCsv(records: readonly (readonly (string | number | null | undefined)[])[]): string {
  const field = (v: string | number | null | undefined) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return records.map((r) => r.map(field).join(",")).join("\r\n") + "\r\n";
}
