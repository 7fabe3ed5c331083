import { profileClasses, profileFeature } from '@app/models';
import { DriftCounter } from '@app/monitoring';

/**
 * `npm run bench:drift`: what drift counting costs per request on its own (no HTTP, no other
 * work), for the bench's models: one row of 32 or 256 features and 3 or 10 class scores, counted
 * into 10 bins per feature. The end-to-end comparison is `BENCH_DRIFT=1 npm run bench`; this one
 * is steady on a busy machine.
 */
function measure(width: number, classes: number): void {
  const reference = Array.from({ length: 2000 }, (_, i) => Math.sin(i * 7.1));
  const features = Array.from({ length: width }, (_, j) =>
    profileFeature(
      `f${j}`,
      reference.map((v) => v + j * 0.001),
    ),
  );
  const predictions = profileClasses(
    Array.from({ length: classes }, (_, k) => `c${k}`),
    Int32Array.from({ length: 2000 }, (_, i) => i % classes),
  );
  const counter = new DriftCounter({ features, predictions, rows: 2000 });
  const requests = Array.from({ length: 64 }, (_, r) => [Array.from({ length: width }, (_, j) => Math.sin(r * 31 + j))]);
  const outputs = Array.from({ length: 64 }, (_, r) => [Array.from({ length: classes }, (_, k) => Math.cos(r + k))]);
  const tally = counter.newTally(0);
  const run = (n: number) => {
    for (let i = 0; i < n; i++) counter.count(tally, requests[i & 63], outputs[i & 63]);
  };
  run(200_000); // warm-up (JIT)
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const n = 500_000;
    const started = process.hrtime.bigint();
    run(n);
    rounds.push(Number(process.hrtime.bigint() - started) / n);
  }
  rounds.sort((a, b) => a - b);
  console.log(
    `${width} features, ${classes} classes: ${rounds[0].toFixed(0)}–${rounds[rounds.length - 1].toFixed(0)} ns per one-row request (5 rounds of 500,000)`,
  );
}

measure(32, 3);
measure(256, 10);
