/**
 * A smoothed cost per row of the batches a model has run (exponentially weighted, so it follows the
 * machine's load), 0 until one has been measured. The first batch is not counted: it pays for
 * compiling kernels (or for loading the model, when the batcher measures). A batch measured at over
 * twice the estimate counts as twice it: a GC pause or a thread descheduled on a busy machine moves
 * the estimate by a fifth at most, while a lasting slowdown still shows within a few batches.
 */
export class PerRowCost {
  msPerRow = 0;
  private seen = 0;

  record(ms: number, rows: number): void {
    if (this.seen++ === 0) return;
    const sample = ms / Math.max(1, rows);
    this.msPerRow = this.msPerRow === 0 ? sample : 0.8 * this.msPerRow + 0.2 * Math.min(sample, 2 * this.msPerRow);
  }
}
