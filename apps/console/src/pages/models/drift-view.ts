import type { DriftReportDto } from '@modelgate/sdk';

/** The windows the drift panel offers, kept in the page's URL (`?window=24h`); minutes as the API takes them. */
export const DRIFT_WINDOWS = [
  { id: '15m', label: '15 min', minutes: 15 },
  { id: '1h', label: '1 h', minutes: 60 },
  { id: '24h', label: '24 h', minutes: 1440 },
  { id: '7d', label: '7 days', minutes: 10_080 },
] as const;

export type DriftWindow = (typeof DRIFT_WINDOWS)[number];

/** The API's own default (an hour), also for anything in the URL the panel does not offer. */
export const DEFAULT_WINDOW: DriftWindow = DRIFT_WINDOWS[1];

export function readWindow(params: URLSearchParams): DriftWindow {
  return DRIFT_WINDOWS.find((w) => w.id === params.get('window')) ?? DEFAULT_WINDOW;
}

/**
 * The report as the API sends it: `status` (and the predictions' `kind`) are null while the window
 * holds no served rows (or the profile has no prediction distribution), which the generated types
 * do not say.
 */
export type DriftStatus = 'ok' | 'warn' | 'alert' | null;
export type FeatureDrift = Omit<DriftReportDto['features'][number], 'status'> & { status: DriftStatus };
export type PredictionDrift = Omit<DriftReportDto['predictions'], 'status' | 'kind'> & {
  status: DriftStatus;
  kind: 'classes' | 'values' | null;
};
export type DriftReport = Omit<DriftReportDto, 'features' | 'predictions'> & { features: FeatureDrift[]; predictions: PredictionDrift };

/** What each status means, for people (the thresholds are the API's: PSI 0.1 and 0.25). */
export const STATUS_TEXT: Record<Exclude<DriftStatus, null>, string> = {
  ok: 'PSI below 0.1: no meaningful change',
  warn: 'PSI from 0.1: a moderate change, worth a look',
  alert: 'PSI from 0.25: a significant change',
};

export function formatPsi(psi: number | null): string {
  return psi === null ? '—' : psi.toFixed(3);
}

/** A mean or standard deviation, to 4 significant digits. */
export function formatStat(value: number | null): string {
  if (value === null) return '—';
  return Number(value.toPrecision(4)).toLocaleString(undefined, { maximumFractionDigits: 6 });
}

export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined) return '—';
  return `${(share * 100).toLocaleString(undefined, { maximumFractionDigits: share < 0.1 ? 1 : 0 })} %`;
}

/**
 * A sentence saying what a paired bar chart shows: its bins, and the bin that changed most (the
 * accessible name of the chart, and its title on hover).
 */
export function chartSummary(subject: string, training: readonly number[], serving: readonly number[] | null, binName = 'bin'): string {
  const plural = binName.endsWith('s') ? `${binName}es` : `${binName}s`;
  const head = `${subject}: share of rows per ${binName}, profile vs served (${training.length} ${plural})`;
  if (!serving || serving.length !== training.length) return `${head}; nothing served in this window.`;
  let most = 0;
  for (let i = 1; i < training.length; i++) {
    if (Math.abs(serving[i] - training[i]) > Math.abs(serving[most] - training[most])) most = i;
  }
  return `${head}; largest change in ${binName} ${most + 1}: ${formatShare(training[most])} in the profile, ${formatShare(serving[most])} served.`;
}

/** "dataset", "training", "statistics" as a phrase: where the reference profile came from. */
export function profileSource(source: DriftReport['profile']['source']): string {
  switch (source) {
    case 'training':
      return 'the training split';
    case 'dataset':
      return 'a dataset';
    case 'statistics':
      return 'given statistics';
  }
}

/** The optional columns field ("a, b ,c") as the API takes it; undefined when empty. */
export function parseColumns(text: string): string[] | undefined {
  const columns = text
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  return columns.length ? columns : undefined;
}
