/** A model artifact held in memory: relative POSIX path → bytes. Must contain `model.json`. */
export type ArtifactFiles = Map<string, Buffer>;

/**
 * Open Inference Protocol datatypes the service speaks; tfjs itself computes in FP32/INT32/BOOL,
 * and BYTES are its string tensors (graph models that take text).
 */
export type Datatype = 'FP32' | 'FP64' | 'INT32' | 'INT64' | 'BOOL' | 'BYTES';

/** One input or output of a model. `-1` marks a variable dimension (the batch, usually). */
export interface TensorSpec {
  name: string;
  datatype: Datatype;
  shape: number[];
}

export type ModelFramework = 'tfjs-layers' | 'tfjs-graph';

export interface ModelSignature {
  framework: ModelFramework;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export const MODEL_JSON = 'model.json';

/** One tensor element as a request carries it: a number (booleans as 0/1), a string, or bytes (`{"b64"}`). */
export type TensorValue = number | string | Uint8Array;

/** A batch's inputs: per model input (signature order), per row, that row's values flat (row-major). */
export type InputColumns = TensorValue[][][];

/** A batch's outputs: per model output (signature order), per row, that row's values flat (row-major). */
export type OutputColumns = (number | string)[][][];
