/** dist/dashboard under the repository. */
export declare const DASHBOARD_OUT_DIR: string;
/** Bundles the dashboard page into `outDir` (default dist/dashboard); resolves to the files written. */
export declare function buildDashboard(options?: { outDir?: string }): Promise<string[]>;
