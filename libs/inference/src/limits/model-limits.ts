import { ModelSignature, TensorSpec } from '../artifact/artifact.types';

/**
 * What one model may cost. Checked before anything is built (parameters), before the first run
 * (memory of a row, estimated from the topology) and before every run (rows × outputs).
 */
export interface ModelLimits {
  /** Scalars across all weights (MAX_MODEL_PARAMETERS). */
  maxParameters: number;
  /**
   * Bytes one run may allocate for its outputs and intermediates (INFERENCE_MAX_RUN_BYTES). A batch
   * that would need more runs in slices; a model whose single row needs more is refused.
   */
  maxRunBytes: number;
  /** Output values one request may produce, rows × values per row (MAX_OUTPUT_VALUES_PER_REQUEST). */
  maxOutputValues: number;
}

/**
 * Generous enough for any model the registry takes by default, small enough that no tensor gets
 * near the wasm backend's 4 GiB address space (its index arithmetic wraps, and corrupts memory,
 * well before that: a 2 GiB tensor already breaks every later call).
 */
export const DEFAULT_MODEL_LIMITS: ModelLimits = {
  maxParameters: 100_000_000,
  maxRunBytes: 256 * 1024 * 1024,
  maxOutputValues: 1_000_000,
};

/** Values one row produces across all outputs; unknown dimensions count as 1 (a lower bound). */
export function outputValuesPerRow(outputs: readonly TensorSpec[]): number {
  return outputs.reduce((sum, spec) => sum + spec.shape.slice(1).reduce((n, d) => n * (d > 0 ? d : 1), 1), 0);
}

/** The most rows one request may send to a model with this signature without exceeding the output cap. */
export function maxRowsForOutputs(signature: Pick<ModelSignature, 'outputs'>, maxOutputValues: number): number {
  return Math.floor(maxOutputValues / Math.max(1, outputValuesPerRow(signature.outputs)));
}
