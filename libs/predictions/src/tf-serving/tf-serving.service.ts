import { Injectable } from '@nestjs/common';
import { Actor, ValidationFailedError, WithHeaders } from '@app/common';
import type { TensorSpec } from '@app/inference';
import { ServableVersion } from '@app/models';
import { NamedOutputRow, PredictionService, PredictResponse } from '../serving/prediction.service';
import { ServingTarget } from '../serving/version-resolver';

/** The one signature a ModelGate version exposes, under the name TF Serving clients send by default. */
export const DEFAULT_SIGNATURE = 'serving_default';

const DT_TYPES: Record<TensorSpec['datatype'], string> = {
  FP32: 'DT_FLOAT',
  FP64: 'DT_DOUBLE',
  INT32: 'DT_INT32',
  INT64: 'DT_INT64',
  BOOL: 'DT_BOOL',
  BYTES: 'DT_STRING',
};

export interface TfPredictResponse {
  predictions?: unknown;
  outputs?: unknown;
}

export interface TfResultsResponse {
  results: unknown[];
}

interface TfTensorInfo {
  dtype: string;
  tensor_shape: { dim: { size: string; name: string }[]; unknown_rank: boolean };
  name: string;
}

export interface TfMetadataResponse {
  model_spec: { name: string; version: string; signature_name: string };
  metadata: {
    signature_def: {
      signature_def: Record<string, { inputs: Record<string, TfTensorInfo>; outputs: Record<string, TfTensorInfo>; method_name: string }>;
    };
  };
}

type Body = Record<string, unknown>;

/**
 * TensorFlow Serving's REST API (tensorflow_serving/g3doc/api_rest.md) over the v1 prediction path:
 * the same resolution, limits, metering and headers; only the request and answer shapes differ.
 */
@Injectable()
export class TfServingService {
  constructor(private readonly predictions: PredictionService) {}

  /** POST …:predict — row (`instances` → `predictions`) or columnar (`inputs` → `outputs`) format. */
  async predict(target: ServingTarget, body: Body, actor: Actor): Promise<WithHeaders<TfPredictResponse>> {
    assertSignature(body.signature_name, [DEFAULT_SIGNATURE]);
    const hasInstances = body.instances !== undefined;
    const hasInputs = body.inputs !== undefined;
    if (hasInstances === hasInputs) {
      throw new ValidationFailedError(
        [
          {
            field: hasInstances ? 'inputs' : 'instances',
            message: 'exactly one of instances (row format) or inputs (columnar format) is required',
          },
        ],
        'The request must have either "instances" (row format) or "inputs" (columnar format), not both and not neither.',
      );
    }
    if (hasInstances) {
      const answer = await this.predictions.predictV1(target, body.instances, actor);
      return new WithHeaders({ predictions: answer.body.predictions }, answer.headers);
    }
    const { target: resolved, instances, version } = await this.columns(target, body.inputs, actor);
    const answer = await this.predictions.predictV1(resolved, instances, actor);
    return new WithHeaders({ outputs: columnar(answer.body.predictions, version) }, answer.headers);
  }

  /** POST …:classify — every class of each example with its score, as [label, score] pairs. */
  async classify(target: ServingTarget, body: Body, actor: Actor): Promise<WithHeaders<TfResultsResponse>> {
    assertSignature(body.signature_name, [DEFAULT_SIGNATURE, 'tensorflow/serving/classify']);
    const { resolved, version, instances } = await this.examples(target, body, actor);
    assertScores(version);
    const answer = await this.predictions.predictV1(resolved, instances, actor);
    const labels = version.labels ?? [];
    const results = (answer.body.predictions as number[][]).map((row) => row.map((score, i) => [labels[i] ?? '', score]));
    return new WithHeaders({ results }, answer.headers);
  }

  /** POST …:regress — one number per example. */
  async regress(target: ServingTarget, body: Body, actor: Actor): Promise<WithHeaders<TfResultsResponse>> {
    assertSignature(body.signature_name, [DEFAULT_SIGNATURE, 'tensorflow/serving/regress']);
    const { resolved, version, instances } = await this.examples(target, body, actor);
    assertScores(version);
    const values = version.outputs.reduce(
      (n, o) =>
        n *
        Math.max(
          1,
          o.shape.slice(1).reduce((a, d) => a * Math.max(1, d), 1),
        ),
      1,
    );
    if (values !== 1) {
      throw new ValidationFailedError(
        [
          {
            field: 'examples',
            message: `regress needs a model with one output value per example; ${version.modelName} v${version.version} answers ${values}`,
          },
        ],
        `Version ${version.version} of ${version.modelName} answers ${values} values per example: use :classify or :predict.`,
      );
    }
    const answer = await this.predictions.predictV1(resolved, instances, actor);
    return new WithHeaders({ results: (answer.body.predictions as number[][]).map((row) => row[0]) }, answer.headers);
  }

  /** GET …/metadata — the version's signature as TF Serving's GetModelMetadataResponse. */
  async metadata(target: ServingTarget, actor: Actor): Promise<TfMetadataResponse> {
    const version = await this.predictions.servable(target, actor);
    const tensors = (specs: TensorSpec[]) =>
      Object.fromEntries(
        specs.map((spec) => [
          spec.name,
          {
            dtype: DT_TYPES[spec.datatype] ?? 'DT_INVALID',
            tensor_shape: { dim: spec.shape.map((size) => ({ size: String(size), name: '' })), unknown_rank: false },
            name: `${spec.name}:0`,
          },
        ]),
      );
    return {
      model_spec: { name: version.modelName, version: String(version.version), signature_name: DEFAULT_SIGNATURE },
      metadata: {
        signature_def: {
          signature_def: {
            [DEFAULT_SIGNATURE]: {
              inputs: tensors(version.requestInputs ?? version.inputs),
              outputs: tensors(version.outputs),
              method_name: 'tensorflow/serving/predict',
            },
          },
        },
      },
    };
  }

  /**
   * Columnar: a tensor (the batch, for a single input) or an object of input name → tensor, whose
   * first dimension is the batch; it becomes rows keyed by input name, as the row format takes them.
   */
  private async columns(
    target: ServingTarget,
    inputs: unknown,
    actor: Actor,
  ): Promise<{ target: ServingTarget; instances: unknown; version?: ServableVersion }> {
    if (!isObject(inputs)) return { target, instances: inputs };
    const version = await this.pin(target, actor);
    const given = Object.keys(inputs);
    // A version trained on a table reads features: one left out is missing in every row.
    const all = (version.requestInputs ?? version.inputs).map((i) => i.name);
    const raw = version.encoder && !version.encoder.plain;
    const names = raw ? all.filter((k) => given.includes(k)) : all;
    if (given.length !== names.length || given.some((k) => !names.includes(k)) || names.length === 0) {
      const unknown = given.filter((k) => !all.includes(k));
      const missing = raw ? [] : names.filter((k) => !given.includes(k));
      throw new ValidationFailedError(
        [
          ...unknown.map((field) => ({ field: `inputs.${field}`, message: `not an input of this model (inputs: ${names.join(', ')})` })),
          ...missing.map((field) => ({ field: `inputs.${field}`, message: 'is required' })),
        ],
        `inputs must name exactly the model's inputs: ${names.join(', ')}.`,
      );
    }
    if (names.length === 1 && !raw) return { target: pinned(version), instances: inputs[names[0]], version };
    const batch = names.map((name) => inputs[name]);
    const rows = Array.isArray(batch[0]) ? batch[0].length : -1;
    const ragged = names.filter((name, i) => !Array.isArray(batch[i]) || batch[i].length !== rows);
    if (ragged.length) {
      throw new ValidationFailedError(
        ragged.map((name) => ({
          field: `inputs.${name}`,
          message: `must be a list with one entry per row (${Math.max(rows, 0)}, as ${names[0]})`,
        })),
        'Every input in the columnar format needs the same batch size (its first dimension).',
      );
    }
    const instances = Array.from({ length: rows }, (_, r) =>
      Object.fromEntries(names.map((name, i) => [name, (batch[i] as unknown[])[r]])),
    );
    return { target: pinned(version), instances, version };
  }

  /** Classify/regress: examples of named features, `context` merged into each. */
  private async examples(target: ServingTarget, body: Body, actor: Actor) {
    const version = await this.pin(target, actor);
    // A version with several inputs reads examples keyed by input name.
    if (!version.featureNames?.length && version.inputs.length === 1) {
      throw new ValidationFailedError(
        [{ field: 'examples', message: 'this version does not name its features (params.features); use :predict' }],
        `Version ${version.version} of ${version.modelName} does not name its features (params.features), so it cannot read examples: use :predict.`,
      );
    }
    const { examples, context = {} } = body;
    if (!Array.isArray(examples) || !examples.every(isObject)) {
      throw new ValidationFailedError([{ field: 'examples', message: 'examples must be a list of objects of feature name → value' }]);
    }
    if (!isObject(context))
      throw new ValidationFailedError([{ field: 'context', message: 'context must be an object of feature name → value' }]);
    const shared = Object.keys(context);
    const clashes = examples.flatMap((example, i) =>
      Object.keys(example)
        .filter((k) => shared.includes(k))
        .map((k) => ({ field: `examples[${i}].${k}`, message: `${k} is in context: a feature must not appear in both` })),
    );
    if (clashes.length) throw new ValidationFailedError(clashes, 'A feature in context must not appear in examples.');
    const instances = examples.map((example) =>
      Object.fromEntries(Object.entries({ ...context, ...example }).map(([k, v]) => [k, Array.isArray(v) && v.length === 1 ? v[0] : v])),
    );
    return { resolved: pinned(version), version, instances };
  }

  /** The version the request runs on (canary split applied), resolved once so that its signature shapes the body. */
  private pin(target: ServingTarget, actor: Actor): Promise<ServableVersion> {
    return this.predictions.servable(target, actor);
  }
}

/** Columnar answer: the tensor of a single output, or output name → tensor. */
function columnar(predictions: PredictResponse['predictions'], version: ServableVersion | undefined): unknown {
  if (!version || version.outputs.length === 1) return predictions;
  const rows = predictions as NamedOutputRow[];
  return Object.fromEntries(version.outputs.map((spec) => [spec.name, rows.map((row) => row[spec.name])]));
}

/** :classify and :regress read one output of scores. */
function assertScores(version: ServableVersion): void {
  if (version.outputs.length === 1 && version.outputs[0].datatype !== 'BYTES') return;
  throw new ValidationFailedError(
    [
      {
        field: 'examples',
        message: `this version has ${version.outputs.length} outputs; :classify and :regress need one output of scores`,
      },
    ],
    `Version ${version.version} of ${version.modelName} does not answer one output of scores: use :predict.`,
  );
}

function pinned(version: ServableVersion): ServingTarget {
  return { kind: 'version', model: version.modelName, version: version.version };
}

function assertSignature(name: unknown, accepted: readonly string[]): void {
  if (name === undefined || (typeof name === 'string' && accepted.includes(name))) return;
  throw new ValidationFailedError(
    [{ field: 'signature_name', message: `must be one of: ${accepted.join(', ')}` }],
    `Serving signature name: "${String(name)}" not found in signature def (this model serves ${accepted.map((s) => `"${s}"`).join(', ')}).`,
  );
}

function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
