/** A multipart file part as test/support/multipart.ts sends it. */
export interface MultipartFile {
  field: string;
  filename: string;
  data: Buffer;
}

/**
 * Small artifacts that attack the inference engine rather than the HTTP layer: each is a few KB
 * and asks tfjs for far more than it supplies. Used by the hardening suites and bench:hostile.
 */

type ArtifactFile = { path: string; data: Buffer };

function layersModel(layers: unknown[], weights: { name: string; shape: number[] }[]): ArtifactFile[] {
  const values = weights.reduce((n, w) => n + w.shape.reduce((a, d) => a * d, 1), 0);
  const data = Buffer.alloc(values * 4);
  for (let i = 0; i < values; i++) data.writeFloatLE(((i % 7) - 3) / 10, i * 4);
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'modelgate hostile-models',
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'hostile', layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: weights.length ? [{ paths: ['weights.bin'], weights: weights.map((w) => ({ ...w, dtype: 'float32' })) }] : [],
  };
  return [{ path: 'model.json', data: Buffer.from(JSON.stringify(modelJson)) }, ...(weights.length ? [{ path: 'weights.bin', data }] : [])];
}

function dense(name: string, units: number, inputWidth?: number): unknown {
  return {
    class_name: 'Dense',
    config: {
      name,
      units,
      activation: 'linear',
      use_bias: true,
      kernel_initializer: { class_name: 'Orthogonal', config: { gain: 1, seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      trainable: true,
      dtype: 'float32',
      ...(inputWidth ? { batch_input_shape: [null, inputWidth] } : {}),
    },
  };
}

/** Dense(3) on 4 features, then RepeatVector(n): weights for the Dense only, n × 3 outputs per row. */
export function repeatVectorModel(n: number): ArtifactFile[] {
  return layersModel(
    [dense('dense_a', 3, 4), { class_name: 'RepeatVector', config: { name: 'repeat', n, trainable: true } }],
    [
      { name: 'dense_a/kernel', shape: [4, 3] },
      { name: 'dense_a/bias', shape: [3] },
    ],
  );
}

/** A first layer of `units` units (then Dense(3)) and an empty weights manifest: a 1 KB topology. */
export function hugeFirstLayerModel(units: number): ArtifactFile[] {
  return layersModel([dense('wide', units, 4), dense('out', 3)], []);
}

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

function graphModel(
  nodes: GraphNode[],
  weights: { name: string; shape: number[]; dtype: 'float32' | 'int32'; values: number[] }[],
): ArtifactFile[] {
  const data = Buffer.alloc(weights.reduce((n, w) => n + w.values.length * 4, 0));
  let offset = 0;
  for (const w of weights) {
    for (const v of w.values) {
      if (w.dtype === 'int32') data.writeInt32LE(v, offset);
      else data.writeFloatLE(v, offset);
      offset += 4;
    }
  }
  const modelJson = {
    format: 'graph-model',
    generatedBy: 'modelgate hostile-models',
    modelTopology: { node: nodes, library: {}, versions: { producer: 1482 } },
    weightsManifest: [{ paths: ['weights.bin'], weights: weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }],
  };
  return [
    { path: 'model.json', data: Buffer.from(JSON.stringify(modelJson)) },
    { path: 'weights.bin', data },
  ];
}

const dim = (sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size) })) });
const placeholder = (name: string, type: string, shape: number[]): GraphNode => ({
  name,
  op: 'Placeholder',
  attr: { dtype: { type }, shape: { shape: dim(shape) } },
});
const constant = (name: string, type: string, shape: number[]): GraphNode => ({
  name,
  op: 'Const',
  attr: { dtype: { type }, value: { tensor: { dtype: type, tensorShape: dim(shape) } } },
});

/**
 * A graph that tiles its [-1, 4] input `multiple` times along the features: nothing in its topology
 * says how big that is (the multiples are weights), only running it does.
 */
export function tiledGraphModel(multiple: number): ArtifactFile[] {
  return graphModel(
    [
      placeholder('x', 'DT_FLOAT', [-1, 4]),
      constant('multiples', 'DT_INT32', [2]),
      { name: 'Tile', op: 'Tile', input: ['x', 'multiples'], attr: { T: { type: 'DT_FLOAT' }, Tmultiples: { type: 'DT_INT32' } } },
      { name: 'Identity', op: 'Identity', input: ['Tile'], attr: { T: { type: 'DT_FLOAT' } } },
    ],
    [{ name: 'multiples', shape: [2], dtype: 'int32', values: [1, multiple] }],
  );
}

/**
 * [5, 7] mod (x + 1) on int32 rows of 2: fine for the zero rows of an upload's test run, but a
 * row with -1 divides by zero, which traps inside the wasm backend (a WebAssembly RuntimeError):
 * a real fatal engine error, reachable with a valid request.
 */
export function modByInputGraphModel(): ArtifactFile[] {
  return graphModel(
    [
      placeholder('x', 'DT_INT32', [-1, 2]),
      constant('one', 'DT_INT32', []),
      constant('c', 'DT_INT32', [2]),
      { name: 'd', op: 'AddV2', input: ['x', 'one'], attr: { T: { type: 'DT_INT32' } } },
      { name: 'm', op: 'FloorMod', input: ['c', 'd'], attr: { T: { type: 'DT_INT32' } } },
      { name: 'Identity', op: 'Identity', input: ['m'], attr: { T: { type: 'DT_INT32' } } },
    ],
    [
      { name: 'one', shape: [], dtype: 'int32', values: [1] },
      { name: 'c', shape: [2], dtype: 'int32', values: [5, 7] },
    ],
  );
}

export function asArtifactFiles(files: ArtifactFile[]): Map<string, Buffer> {
  return new Map(files.map((f) => [f.path, f.data]));
}

export function asMultipart(files: ArtifactFile[]): MultipartFile[] {
  return files.map((f) => ({ field: 'files', filename: f.path, data: f.data }));
}
