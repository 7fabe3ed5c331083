import { mulberry32 } from '@app/inference';

/** mulberry32: a small 32-bit PRNG fully determined by its seed (shuffles and splits are reproducible). */
export const seededRandom = mulberry32;

/** Fisher–Yates over 0..n-1 with the given random source. */
export function permutation(n: number, random: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** A derived seed for the n-th consumer of a run's seed (layer initialisers, dropout masks, epochs). */
export function deriveSeed(seed: number, ...path: number[]): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const p of path) {
    h = Math.imul(h ^ (p + 0x7f4a7c15), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  // tfjs' seeded initialisers take any number; a positive 31-bit integer stays exact everywhere.
  return h & 0x7fffffff;
}
