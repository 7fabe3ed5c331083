/**
 * A smoothed cost per row of the batches a model has run (exponentially weighted, so a model's
 * cost follows the machine's load without one slow batch swinging it). 0 until a batch has run.
 */
export class PerRowCost {
  msPerRow = 0;

  record(ms: number, rows: number): void {
    const sample = ms / Math.max(1, rows);
    this.msPerRow = this.msPerRow === 0 ? sample : 0.8 * this.msPerRow + 0.2 * sample;
  }
}
