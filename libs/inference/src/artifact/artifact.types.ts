/** A model artifact held in memory: relative POSIX path → bytes. Must contain `model.json`. */
export type ArtifactFiles = Map<string, Buffer>;

/** Open Inference Protocol datatypes the service speaks; tfjs itself computes in FP32/INT32/BOOL. */
export type Datatype = 'FP32' | 'FP64' | 'INT32' | 'INT64' | 'BOOL';

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
