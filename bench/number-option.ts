/**
 * A numeric `--name N` flag of a bench's command line, taken out of `argv` (so what is left are its other
 * arguments), or `fallback` when it is absent.
 */
export function takeNumberOption(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv.splice(at, 2)[1]) : fallback;
}
