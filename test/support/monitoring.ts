import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';

/** The PromQL in deploy/monitoring, and what it selects (the static spec and the /metrics e2e share it). */
export const MONITORING_DIR = join(__dirname, '..', '..', 'deploy', 'monitoring');

export interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface DashboardPanel {
  id?: number;
  title: string;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: Record<string, unknown> & { thresholds?: { steps: { color: string; value: number | null }[] } } };
  targets?: { refId: string; expr: string; legendFormat?: string }[];
  /** A collapsed row keeps its panels here. */
  panels?: DashboardPanel[];
}

interface Dashboard {
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; allValue?: string }[] };
}

function dashboard(): Dashboard {
  return JSON.parse(readFileSync(join(MONITORING_DIR, 'grafana-dashboard.json'), 'utf8')) as Dashboard;
}

/** Every panel but the rows, a collapsed row's own included. */
export function dashboardPanels(): DashboardPanel[] {
  return dashboard().panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

export function dashboardExpressions(): string[] {
  // Grafana replaces its variables before querying; so does this, to parse the PromQL Prometheus gets
  // (an interval variable as 5m, a template variable as its "All" value).
  const all = new Map(dashboard().templating.list.map((v) => [v.name, v.allValue ?? '.*']));
  return dashboardPanels().flatMap((p) =>
    (p.targets ?? []).map((t) =>
      t.expr
        .replace(/\$__(rate_interval|interval|range)/g, '5m')
        .replace(/\$\{?(\w+)\}?/g, (whole, name: string) => all.get(name) ?? whole),
    ),
  );
}

export function ruleExpressions(): string[] {
  return rules().map((r) => String(r.expr));
}

export function rules(): Rule[] {
  const file = parse(readFileSync(join(MONITORING_DIR, 'alert-rules.yml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  return file.groups.flatMap((g) => g.rules);
}

/** Metric names a PromQL expression selects (errors: the spans the grammar could not parse). */
export function selectedMetrics(expr: string): { names: string[]; errors: string[] } {
  const names: string[] = [];
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(expr.slice(Math.max(0, node.from - 10), node.to + 10));
      if (node.name === 'Identifier') names.push(expr.slice(node.from, node.to));
    },
  });
  return { names, errors };
}

/** A histogram's series name → its family (`x_bucket` → `x`). */
export function family(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}
