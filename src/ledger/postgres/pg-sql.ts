/**
 * `?` and `@name` placeholders to Postgres's `$1, $2, …`, outside quoted text; `INSERT OR IGNORE` to
 * `ON CONFLICT DO NOTHING`; `IS NOT` (SQLite's null-safe comparison, used between two values) to
 * `IS DISTINCT FROM`. The statements of src/ are portable otherwise (docs/fleet.md lists the rules).
 */
export function toPostgresSql(sql: string): { text: string; names: string[] } {
  const names: string[] = [];
  let text = "";
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      text += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === "?") {
      text += `$${++n}`;
    } else if (c === "@" && /[A-Za-z_]/.test(sql[i + 1] ?? "")) {
      const name = /^[A-Za-z_]\w*/.exec(sql.slice(i + 1))![0];
      names.push(name);
      text += `$${++n}`;
      i += name.length;
    } else text += c;
  }
  if (/^\s*INSERT\s+OR\s+IGNORE\s+INTO/i.test(text)) {
    text = `${text.replace(/INSERT\s+OR\s+IGNORE\s+INTO/i, "INSERT INTO")} ON CONFLICT DO NOTHING`;
  }
  text = text.replace(/\bIS NOT (?!NULL\b|TRUE\b|FALSE\b|DISTINCT\b)/gi, "IS DISTINCT FROM ");
  return { text, names };
}
