import type { EpochRecordDto, TrainingJobDto } from '@modelgate/sdk';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { chartsFor, type Curve, type CurveKey } from './jobs';
import './training.css';

/**
 * A training job's curves per epoch, drawn with uPlot (a canvas; this module is loaded on demand so
 * uPlot stays out of the initial bundle). The numbers themselves are in the job page's table.
 */

const TRAIN = '#1f5fbf';
const VALIDATION = '#d97706';

export default function TrainingChart({
  task,
  records,
  epochs,
}: {
  task: TrainingJobDto['task'];
  records: EpochRecordDto[];
  /** Epochs the job will run: the x axis spans them all from the start, so the curves grow into it. */
  epochs: number;
}) {
  return (
    <div className="charts">
      {chartsFor(task).map((c) => (
        <Plot key={c.title} title={c.title} train={c.train} validation={c.validation} records={records} epochs={epochs} />
      ))}
    </div>
  );
}

function Plot({
  title,
  train,
  validation,
  records,
  epochs,
}: {
  title: string;
  train: Curve;
  validation: Curve;
  records: EpochRecordDto[];
  epochs: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = toData(records, train.key, validation.key);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const options: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height: 220,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, range: () => [1, Math.max(epochs, 2)] } },
      axes: [
        { label: 'epoch', stroke: '#5b6470', grid: { stroke: '#eef1f5' }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
        { stroke: '#5b6470', grid: { stroke: '#eef1f5' }, size: 56 },
      ],
      series: [
        { label: 'epoch' },
        { label: train.label, stroke: TRAIN, width: 2, points: { size: 4 } },
        { label: validation.label, stroke: VALIDATION, width: 2, dash: [6, 4], points: { size: 4 } },
      ],
    };
    const u = new uPlot(options, latest.current, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(el.clientWidth, 200), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [train.key, train.label, validation.key, validation.label, epochs]);

  useEffect(() => {
    plot.current?.setData(latest.current);
  }, [records]);

  const last = records.at(-1);
  const summary = last
    ? `${title} per epoch: ${records.length} of ${epochs} epochs; at epoch ${last.epoch}, ${train.label} ${fmt(last[train.key])}, ${validation.label} ${fmt(last[validation.key])}.`
    : `${title} per epoch: no epoch has finished yet.`;

  return (
    <section className="chart" aria-label={`${title} chart`}>
      <h3>{title}</h3>
      <div ref={box} className="chart-plot" role="img" aria-label={summary} />
      <ul className="legend" aria-label={`${title} series`}>
        <li>
          <span className="swatch swatch-train" aria-hidden="true" /> {train.label}
        </li>
        <li>
          <span className="swatch swatch-val swatch-dashed" aria-hidden="true" /> {validation.label}
        </li>
      </ul>
    </section>
  );
}

function toData(records: EpochRecordDto[], a: CurveKey, b: CurveKey): uPlot.AlignedData {
  return [records.map((r) => r.epoch), records.map((r) => r[a] ?? null), records.map((r) => r[b] ?? null)];
}

function fmt(value: number | undefined): string {
  return value === undefined ? '—' : String(Number(value.toPrecision(4)));
}
