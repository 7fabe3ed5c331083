import { join } from 'node:path';
import { fieldFor, intervals, layoutPanels, legendName, onGrid, readDashboard, substitute, type DashboardPanel } from './dashboard-queries';

const DASHBOARD = join(__dirname, '..', '..', 'deploy', 'monitoring', 'grafana-dashboard.json');

describe('the screenshot script’s reading of the Grafana dashboard', () => {
  it('chooses Grafana’s step and $__rate_interval: the scrape interval at least, a rate over 4 scrapes at least', () => {
    expect(intervals(300, 2, 800)).toEqual({ step: 2, rateInterval: 8 });
    expect(intervals(6 * 3600, 15, 800)).toEqual({ step: 27, rateInterval: 60 });
  });

  it('replaces interval variables in seconds and template variables by their All value; an unknown variable is an error', () => {
    const variables = [
      { name: 'datasource', type: 'datasource' },
      { name: 'model', type: 'query', includeAll: true, allValue: '.*' },
    ];
    const times = { step: 2, rateInterval: 8, range: 300 };
    expect(
      substitute(
        'max by (model) (x{model=~"$model"}) + rate(y[$__rate_interval]) + z{m=~"${model}"}[$__range:$__interval]',
        variables,
        times,
      ),
    ).toBe('max by (model) (x{model=~".*"}) + rate(y[8s]) + z{m=~".*"}[300s:2s]');
    expect(() => substitute('x{a="$nope"}', variables, times)).toThrow(/\$nope/);
  });

  it('names series by legendFormat, else by their labels', () => {
    expect(legendName('{{model}} v{{ version }} {{feature}}', { model: 'iris', version: '2', feature: 'petal_length' })).toBe(
      'iris v2 petal_length',
    );
    expect(legendName('{{route}} {{status}}', { status: '200' })).toBe('200');
    expect(legendName(undefined, { __name__: 'up', job: 'modelgate' })).toBe('up{job="modelgate"}');
  });

  it('puts samples on the shared step grid, NaN and gaps as null', () => {
    expect(
      onGrid(
        [
          [100, '1'],
          [104, 'NaN'],
          [106, '3.5'],
        ],
        100,
        2,
        5,
      ),
    ).toEqual([1, null, null, 3.5, null]);
  });

  it('applies overrides by refId: the process panel draws the event-loop delay in seconds on a right axis', () => {
    const process = layoutPanels(readDashboard(DASHBOARD)).find((p) => p.title.startsWith('Process')) as DashboardPanel;
    expect(fieldFor(process, 'A', 'RSS')).toEqual({ unit: 'bytes', right: false });
    expect(fieldFor(process, 'B', 'event-loop delay p99')).toEqual({ unit: 's', right: true });
  });

  it('lays out rows as headers, the drift panels under theirs', () => {
    const panels = layoutPanels(readDashboard(DASHBOARD));
    const row = panels.findIndex((p) => p.type === 'row' && p.title === 'Drift');
    expect(panels.slice(row + 1).map((p) => p.title)).toEqual([
      'Feature drift (PSI over the last hour)',
      'Prediction drift (PSI over the last hour)',
    ]);
    expect(panels.slice(row + 1).every((p) => p.gridPos.y > panels[row].gridPos.y)).toBe(true);
  });
});
