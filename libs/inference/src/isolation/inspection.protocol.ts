import type { InvalidArtifactReason } from '../artifact/invalid-artifact.error';
import type { TfBackendName } from '../backend/tf-backend';
import type { ModelLimits } from '../limits/model-limits';
import type { ModelInspection } from '../runtime/inference-runtime';

/** workerData of an inspection thread. */
export interface InspectionThreadSetup {
  kind: 'modelgate-inspection';
  backend: TfBackendName;
  limits: ModelLimits;
  /** Ceiling of the thread's WebAssembly memory (the wasm backend's heap), in bytes. */
  maxWasmBytes: number;
}

/** One artifact to inspect; a thread takes one at a time. */
export interface InspectionRequest {
  id: number;
  files: [string, Uint8Array][];
}

export type InspectionThreadMessage =
  | { id: number; type: 'inspected'; inspection: ModelInspection }
  | { id: number; type: 'invalid'; reason: InvalidArtifactReason; message: string }
  | { id: number; type: 'crashed'; message: string };
