/**
 * stderr without the Postgres limit store's transient-outage notice and its recovery (a connection that timed
 * out on an overloaded machine; calls go through meanwhile and are counted, docs/limits.md "When the ledger is
 * down"). Only that exact pair is dropped: any other line still shows.
 */
const OUTAGE_AND_RECOVERY =
  /\[costtrail\] cannot reach the spending-limit store at [^\n]*\n(?: +at [^\n]*\n)*\[costtrail\] the spending-limit store at [^\n]* is reachable again\n/g;

export function withoutLimitStoreOutage(stderr: string): string {
  return stderr.replace(OUTAGE_AND_RECOVERY, "");
}
