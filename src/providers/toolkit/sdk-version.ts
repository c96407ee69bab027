import { log } from "../../log.js";

/** `1.2.3` (pre-release and build tags ignored) → [1, 2, 3]; undefined when it is not a version. */
function parse(version: string): [number, number, number] | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

/**
 * Does `version` satisfy `range`? Ranges are what the provider tables declare: comparators (`>=5.0.0 <8`) joined
 * by spaces (all must hold), alternatives joined by `||`. Anything else is not understood: false.
 */
export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  if (!v) return false;
  return range.split("||").some((set) =>
    set
      .trim()
      .split(/\s+/)
      .every((comparator) => {
        const match = /^(>=|<=|>|<|=)?(.+)$/.exec(comparator);
        const bound = match && parse(match[2]!);
        if (!bound) return false;
        const c = compare(v, bound);
        switch (match[1]) {
          case ">=":
            return c >= 0;
          case ">":
            return c > 0;
          case "<=":
            return c <= 0;
          case "<":
            return c < 0;
          default:
            return c === 0;
        }
      }),
  );
}

/** Says once per SDK version, clearly, that an installed SDK is outside what costtrail was checked against. */
export function checkSdkVersion(pkg: string, version: string | undefined, range: string): void {
  if (version === undefined || satisfies(version, range)) return;
  log.warnOnce(
    `sdk-version:${pkg}@${version}`,
    `${pkg}@${version} is outside the versions costtrail supports (${range}); it is instrumented as far as ` +
      "its shape allows, and anything costtrail cannot find is said once (see docs/providers.md)",
  );
}
