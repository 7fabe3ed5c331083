import './evaluation-report.css';

/**
 * A trained version's evaluation report on its validation split (a training job's `report`, or a
 * version's `metrics.report`): the confusion matrix as a heat map that is still a table of counts,
 * per-class precision / recall / F1 with the macro and weighted averages, accuracy and ROC AUC; or
 * a regression's errors and residual quantiles. Shared by the job page and the version page.
 */

interface Averages {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationReport {
  classes: string[];
  confusionMatrix: number[][];
  perClass: (Averages & { class: string; support: number })[];
  macro: Averages;
  weighted: Averages;
  accuracy: number;
  rocAuc?: number | null;
}

export interface RegressionReport {
  mae: number;
  rmse: number;
  r2: number;
  residualQuantiles: Record<'p5' | 'p25' | 'p50' | 'p75' | 'p95', number>;
}

/** Why the run ended, as the job (or the version's metrics) records it. */
export interface StopFacts {
  stoppedEpoch: number;
  stopReason: string;
  /** With early stopping: the epoch whose weights were kept. */
  bestEpoch?: number;
  epochs?: number;
}

/** Beyond this many classes the matrix is left out (its per-class table stays): a 1,000 × 1,000 table helps nobody. */
const MAX_MATRIX_CLASSES = 30;
const QUANTILES = [
  ['p5', '5%'],
  ['p25', '25%'],
  ['p50', 'median'],
  ['p75', '75%'],
  ['p95', '95%'],
] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The report in a JSON value (a version's metrics hold anything an uploader sent), or null when it is not one. */
export function reportOf(value: unknown): ClassificationReport | RegressionReport | null {
  if (!isRecord(value)) return null;
  if (Array.isArray(value.classes) && Array.isArray(value.confusionMatrix) && Array.isArray(value.perClass) && isRecord(value.macro))
    return value as unknown as ClassificationReport;
  if (typeof value.mae === 'number' && isRecord(value.residualQuantiles)) return value as unknown as RegressionReport;
  return null;
}

/** The stop facts in a version's metrics (stoppedEpoch, stopReason, bestEpoch), when a training job recorded them. */
export function stopFactsOf(metrics: Record<string, unknown>): StopFacts | undefined {
  const { stoppedEpoch, stopReason, bestEpoch } = metrics;
  if (typeof stoppedEpoch !== 'number' || typeof stopReason !== 'string') return undefined;
  return { stoppedEpoch, stopReason, bestEpoch: typeof bestEpoch === 'number' ? bestEpoch : undefined };
}

/** 4 significant digits; integers as they are. */
function figure(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

const percent = (share: number) => `${Math.round(share * 100)}%`;

export function EvaluationReport({ report, stop, level = 2 }: { report: unknown; stop?: StopFacts; level?: 2 | 3 }) {
  const parsed = reportOf(report);
  if (!parsed && !stop) return null;
  const H = `h${level}` as 'h2' | 'h3';
  const Sub = `h${level + 1}` as 'h3' | 'h4';
  return (
    <section className="evaluation" aria-label="Evaluation report">
      <H>Evaluation report</H>
      {stop && <StopSummary stop={stop} />}
      {parsed && <p className="muted small">Measured on the validation split, with the weights the version was saved with.</p>}
      {parsed && 'classes' in parsed && <Classification report={parsed} Sub={Sub} />}
      {parsed && 'mae' in parsed && <Regression report={parsed} Sub={Sub} />}
    </section>
  );
}

function StopSummary({ stop }: { stop: StopFacts }) {
  const of = stop.epochs ? ` of ${stop.epochs}` : '';
  const kept = stop.bestEpoch ? ` The weights of epoch ${stop.bestEpoch}, its lowest validation loss, were kept.` : '';
  return (
    <p className="stop-summary">
      {stop.stopReason === 'early-stopping'
        ? `Stopped early at epoch ${stop.stoppedEpoch}${of}: the validation loss had stopped improving.${kept}`
        : `Ran every epoch (${stop.stoppedEpoch}${of}).${kept}`}
    </p>
  );
}

function Classification({ report, Sub }: { report: ClassificationReport; Sub: 'h3' | 'h4' }) {
  const rows = report.perClass.reduce((a, c) => a + c.support, 0);
  return (
    <>
      <dl className="facts" aria-label="Classification summary">
        <div>
          <dt>Accuracy</dt>
          <dd>{figure(report.accuracy)}</dd>
        </div>
        {typeof report.rocAuc === 'number' && (
          <div>
            <dt>ROC AUC</dt>
            <dd>{figure(report.rocAuc)}</dd>
          </div>
        )}
        <div>
          <dt>Macro F1</dt>
          <dd>{figure(report.macro.f1)}</dd>
        </div>
        <div>
          <dt>Weighted F1</dt>
          <dd>{figure(report.weighted.f1)}</dd>
        </div>
        <div>
          <dt>Validation rows</dt>
          <dd>{rows}</dd>
        </div>
      </dl>

      <Sub>Confusion matrix</Sub>
      {report.classes.length > MAX_MATRIX_CLASSES ? (
        <p className="muted">
          {report.classes.length} classes: the matrix is too large to show here (it is in the report&apos;s confusionMatrix).
        </p>
      ) : (
        <ConfusionMatrix report={report} />
      )}

      <Sub>Per class</Sub>
      <div className="evaluation-scroll" role="region" aria-label="Per-class figures" tabIndex={0}>
        <table className="table compact evaluation-table">
          <caption className="visually-hidden">Precision, recall and F1 per class, with the macro and weighted averages</caption>
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col" className="num">
                Precision
              </th>
              <th scope="col" className="num">
                Recall
              </th>
              <th scope="col" className="num">
                F1
              </th>
              <th scope="col" className="num">
                Support
              </th>
            </tr>
          </thead>
          <tbody>
            {report.perClass.map((c) => (
              <tr key={c.class}>
                <th scope="row">{c.class}</th>
                <td className="num">{figure(c.precision)}</td>
                <td className="num">{figure(c.recall)}</td>
                <td className="num">{figure(c.f1)}</td>
                <td className="num">{c.support}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            {(
              [
                ['Macro average', report.macro],
                ['Weighted average', report.weighted],
              ] as const
            ).map(([label, avg]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td className="num">{figure(avg.precision)}</td>
                <td className="num">{figure(avg.recall)}</td>
                <td className="num">{figure(avg.f1)}</td>
                <td className="num">{rows}</td>
              </tr>
            ))}
          </tfoot>
        </table>
      </div>
    </>
  );
}

/** Shade of a cell from its share of the true class's rows: 0, then four steps (each with a text colour that keeps AA contrast). */
function heat(share: number): number {
  if (share <= 0) return 0;
  return Math.min(4, 1 + Math.floor(share * 4));
}

function ConfusionMatrix({ report }: { report: ClassificationReport }) {
  const { classes, confusionMatrix: matrix } = report;
  return (
    <>
      <div className="evaluation-scroll" role="region" aria-label="Confusion matrix" tabIndex={0}>
        <table className="table compact confusion">
          <caption>Rows: the true class. Columns: the class predicted.</caption>
          <thead>
            <tr>
              <th scope="col">True \ predicted</th>
              {classes.map((c) => (
                <th key={c} scope="col" className="num">
                  {c}
                </th>
              ))}
              <th scope="col" className="num">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {matrix.map((row, i) => {
              const total = row.reduce((a, b) => a + b, 0);
              return (
                <tr key={classes[i]}>
                  <th scope="row">{classes[i]}</th>
                  {row.map((count, j) => {
                    const share = total ? count / total : 0;
                    return (
                      <td
                        key={classes[j]}
                        className={`num heat heat-${heat(share)}${i === j ? ' diagonal' : ''}`}
                        title={`${count} of ${total} rows of ${classes[i]} predicted as ${classes[j]} (${percent(share)})`}
                      >
                        {count}
                      </td>
                    );
                  })}
                  <td className="num total">{total}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="muted small heat-legend" aria-hidden="true">
        Each cell counts validation rows, shaded by its share of the row: <span className="heat heat-0">0</span>
        <span className="heat heat-1">&lt;25%</span>
        <span className="heat heat-2">&lt;50%</span>
        <span className="heat heat-3">&lt;75%</span>
        <span className="heat heat-4">≥75%</span> · correct predictions (the diagonal) are outlined.
      </p>
    </>
  );
}

function Regression({ report, Sub }: { report: RegressionReport; Sub: 'h3' | 'h4' }) {
  return (
    <>
      <dl className="facts" aria-label="Regression summary">
        <div>
          <dt>MAE</dt>
          <dd>{figure(report.mae)}</dd>
        </div>
        <div>
          <dt>RMSE</dt>
          <dd>{figure(report.rmse)}</dd>
        </div>
        <div>
          <dt>R²</dt>
          <dd>{figure(report.r2)}</dd>
        </div>
      </dl>
      <Sub>Residuals</Sub>
      <table className="table compact evaluation-table">
        <caption className="visually-hidden">Quantiles of the residuals (actual minus predicted)</caption>
        <thead>
          <tr>
            {QUANTILES.map(([key, label]) => (
              <th key={key} scope="col" className="num">
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            {QUANTILES.map(([key]) => (
              <td key={key} className="num">
                {figure(report.residualQuantiles[key])}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
      <p className="muted small">Residual = actual − predicted: a positive median means the model tends to predict low.</p>
    </>
  );
}
