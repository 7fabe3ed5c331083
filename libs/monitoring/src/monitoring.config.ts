import { defineConfig, int, type ConfigOf } from '@app/common';

/** Drift monitoring: how serving's counts are written, kept and evaluated, and the bounds on profiles. */
export const monitoringConfig = defineConfig({
  key: 'monitoring',
  variables: {
    DRIFT_FLUSH_INTERVAL_MS: int(5_000, 100, 600_000),
    DRIFT_EVALUATE_INTERVAL_MS: int(60_000, 0, 3_600_000),
    DRIFT_RETENTION_DAYS: int(7, 1, 90),
    DRIFT_MAX_FEATURES: int(1_000, 1, 100_000),
    DRIFT_GAUGE_MIN_ROWS: int(100, 1, 1_000_000),
    PROFILE_MAX_ROWS: int(20_000, 100, 1_000_000),
  },
  build: (e) => ({
    /** Each replica adds its drift counts to the database this often (and before it stops). */
    flushIntervalMs: e.DRIFT_FLUSH_INTERVAL_MS,
    /** How often the drift gauges are recomputed over the last hour; 0 = only when a report is asked for. */
    evaluateIntervalMs: e.DRIFT_EVALUATE_INTERVAL_MS,
    /** Counts older than this are deleted; a report's window is at most this long. */
    retentionDays: e.DRIFT_RETENTION_DAYS,
    /**
     * Served rows the last hour must hold before the gauges show a version's PSI: over a few dozen
     * rows chance alone moves it past the alert threshold (about bins / rows for unchanged data).
     */
    gaugeMinRows: e.DRIFT_GAUGE_MIN_ROWS,
    /** Features a profile may have (each is a gauge series per version). */
    maxFeatures: e.DRIFT_MAX_FEATURES,
    /** Rows of a dataset a profile is built from (an even sample beyond it). */
    profileMaxRows: e.PROFILE_MAX_ROWS,
  }),
});
export type MonitoringConfig = ConfigOf<typeof monitoringConfig>;
