import * as tf from '@tensorflow/tfjs';
import { DynamicBatcher, InferenceRuntime, InputColumns, LoadedModel, TfBackendName } from '@app/inference';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FIXTURES_DIR, generateFixtures } from '../generate-fixtures';

/**
 * Predict latency of the runtime itself (no HTTP) per backend and batch size, on the fixture MLP
 * (32 → 64 → 64 → 3 softmax), plus what dynamic batching buys for 64 concurrent one-row calls.
 * `npm run bench:inference` (or node dist/scripts/bench/inference-backends [backend...]).
 */

const BATCH_SIZES = [1, 8, 32, 64, 256, 1000];
const SECONDS_PER_CASE = 1;

async function main(): Promise<void> {
  await generateFixtures();
  const dir = join(DEFAULT_FIXTURES_DIR, 'mlp-bench');
  const files = new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
  const backends =
    (process.argv.slice(2) as TfBackendName[]).length > 0
      ? (process.argv.slice(2) as TfBackendName[])
      : (['wasm', 'cpu'] as TfBackendName[]);
  console.log(`node ${process.version}, tfjs ${tf.version.tfjs}, model mlp-bench, ${SECONDS_PER_CASE}s per case`);
  console.log('\n| backend | batch rows | p50 ms | p99 ms | rows/s |\n|---|---:|---:|---:|---:|');
  const concurrency: string[] = [];
  for (const backend of backends) {
    const runtime = await InferenceRuntime.create(backend);
    const tensorsBefore = tf.memory().numTensors;
    const model = await runtime.load(files);
    for (const rows of BATCH_SIZES) {
      const input = randomRows(rows, 32);
      const times = await timeCalls(() => model.predict(input));
      const p50 = percentile(times, 0.5);
      console.log(
        `| ${backend} | ${rows} | ${p50.toFixed(3)} | ${percentile(times, 0.99).toFixed(3)} | ${Math.round((rows * 1000) / p50)} |`,
      );
    }
    concurrency.push(...(await concurrencyCase(backend, model)));
    const tensors = tf.memory().numTensors;
    model.dispose();
    console.error(`${backend}: tensors before load ${tensorsBefore}, after all runs ${tensors}, after dispose ${tf.memory().numTensors}`);
  }
  console.log('\n64 concurrent callers × 1 row each, 500 calls per caller:\n');
  console.log('| backend | mode | calls/s | mean batch rows |\n|---|---|---:|---:|');
  for (const line of concurrency) console.log(line);
}

/** 64 concurrent callers, each waiting for its answer before the next call: unbatched vs batched. */
async function concurrencyCase(backend: string, model: LoadedModel): Promise<string[]> {
  const callers = 64;
  const perCaller = 500;
  const row = randomRows(1, 32)[0];
  const run = async (call: () => Promise<unknown>) => {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        for (let i = 0; i < perCaller; i++) await call();
      }),
    );
    return (callers * perCaller * 1000) / (performance.now() - started);
  };
  const unbatched = await run(() => model.predict([row]));
  const batcher = new DynamicBatcher({ maxBatchRows: 64, maxDelayMs: 2, maxQueueRows: 4096 });
  let batches = 0;
  let rows = 0;
  const execute = (inputs: InputColumns) => {
    batches++;
    rows += inputs[0].length;
    return model.predictOutputs(inputs);
  };
  const batched = await run(() => batcher.submit('mlp', [[row]], execute));
  return [
    `| ${backend} | one predict per call | ${Math.round(unbatched)} | 1 |`,
    `| ${backend} | DynamicBatcher (64 rows / 2 ms) | ${Math.round(batched)} | ${(rows / batches).toFixed(1)} |`,
  ];
}

async function timeCalls(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await fn();
  const times: number[] = [];
  const end = performance.now() + SECONDS_PER_CASE * 1000;
  while (performance.now() < end || times.length < 20) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function randomRows(n: number, width: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: width }, () => Math.random() * 2 - 1));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
