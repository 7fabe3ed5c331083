// The console's tsconfig has no Jest globals: they are imported.
import { describe, expect, it } from '@jest/globals';
import { chartSummary, DEFAULT_WINDOW, formatPsi, formatShare, parseColumns, readWindow } from './drift-view';

describe('the drift panel’s view helpers', () => {
  it('reads the window from the URL, an hour for anything it does not offer', () => {
    expect(readWindow(new URLSearchParams('version=2&window=24h'))).toMatchObject({ id: '24h', minutes: 1440 });
    expect(readWindow(new URLSearchParams('window=7d')).minutes).toBe(10_080);
    expect(readWindow(new URLSearchParams('window=3y'))).toBe(DEFAULT_WINDOW);
    expect(readWindow(new URLSearchParams())).toMatchObject({ id: '1h', minutes: 60 });
  });

  it('summarises a paired chart by the bin that changed most', () => {
    expect(chartSummary('petal_length', [0.5, 0.3, 0.2], [0.45, 0.25, 0.3])).toBe(
      'petal_length: share of rows per bin, profile vs served (3 bins); largest change in bin 3: 20 % in the profile, 30 % served.',
    );
    expect(chartSummary('Predictions', [0.5, 0.5], null, 'class')).toBe(
      'Predictions: share of rows per class, profile vs served (2 classes); nothing served in this window.',
    );
  });

  it('formats PSI, shares and the optional column list', () => {
    expect(formatPsi(null)).toBe('—');
    expect(formatPsi(0.25678)).toBe('0.257');
    expect(formatShare(0.051)).toBe('5.1 %');
    expect(formatShare(undefined)).toBe('—');
    expect(parseColumns(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
    expect(parseColumns(' , ')).toBeUndefined();
  });
});
