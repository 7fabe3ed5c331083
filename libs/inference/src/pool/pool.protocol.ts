import type { TfBackendName } from '../backend/tf-backend';
import type { ModelLimits } from '../limits/model-limits';
import type { ModelSignature } from '../artifact/artifact.types';
import type { InvalidArtifactReason } from '../artifact/invalid-artifact.error';

/** workerData of an inference pool thread. */
export interface PoolThreadSetup {
  kind: 'modelgate-inference-pool';
  backend: TfBackendName;
  limits: ModelLimits;
}

/**
 * One input's rows as they cross threads: numbers packed row-major in a transferable Float64Array
 * (exact for every value a FP32, INT32 or BOOL input takes), strings and bytes as a list.
 */
export type PackedColumn =
  | { kind: 'numbers'; rows: number; width: number; data: Float64Array }
  | { kind: 'values'; rows: (string | Uint8Array)[][] };

/** One output's rows: numbers in a transferable typed array, strings as a list. */
export type PackedOutput =
  | { kind: 'numbers'; rows: number; width: number; data: Float32Array | Int32Array | Uint8Array }
  | { kind: 'strings'; rows: string[][] };

export type PoolRequest =
  | { id: number; type: 'load'; handle: number; files: [string, Uint8Array][] }
  | { id: number; type: 'predict'; handle: number; inputs: PackedColumn[] }
  | { id: number; type: 'dispose'; handle: number };

/** A failure as it crosses back: enough to rebuild the same error on the main thread. */
export type PoolFailure =
  | { kind: 'invalid-artifact'; reason: InvalidArtifactReason; message: string }
  | { kind: 'domain'; errorKind: string; code: string; message: string }
  | { kind: 'error'; message: string };

export type PoolResponse =
  | {
      id: number;
      type: 'loaded';
      signature: ModelSignature;
      sizeBytes: number;
      parameterCount: number;
      weightBytes: number;
      bytesPerRow: number;
    }
  /** `ms`: the batch's time on the thread, from reading its rows to packing its outputs. */
  | { id: number; type: 'predicted'; outputs: PackedOutput[]; ms: number }
  | { id: number; type: 'disposed' }
  | { id: number; type: 'failed'; failure: PoolFailure };
