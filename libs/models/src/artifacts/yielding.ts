/**
 * Whole-artifact work (hashing, copying) done in slices, with a turn of the event loop between
 * slices, so that a 200 MB upload never holds the loop for long: each slice is a few ms of work.
 */
export const SLICE_BYTES = 8 * 1024 * 1024;

/** Lets timers, I/O and other requests run before the next slice. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Buffer.concat(chunks), copying at most SLICE_BYTES between turns of the event loop. One chunk is
 * returned as is (nothing to join).
 */
export async function concatChunks(chunks: readonly Buffer[], total = chunks.reduce((n, c) => n + c.length, 0)): Promise<Buffer> {
  if (chunks.length === 1 && chunks[0].length === total) return chunks[0];
  if (total <= SLICE_BYTES) return Buffer.concat(chunks as Buffer[], total);
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  let sinceYield = 0;
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length && offset < total; ) {
      const n = Math.min(chunk.length - at, SLICE_BYTES - sinceYield, total - offset);
      chunk.copy(out, offset, at, at + n);
      at += n;
      offset += n;
      sinceYield += n;
      if (sinceYield >= SLICE_BYTES) {
        sinceYield = 0;
        await yieldToLoop();
      }
    }
  }
  // Buffer.concat zero-fills when the chunks are shorter than `total`.
  if (offset < total) out.fill(0, offset);
  return out;
}
