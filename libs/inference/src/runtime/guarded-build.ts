import * as tf from '@tensorflow/tfjs';
import { InvalidArtifactError } from '../artifact/invalid-artifact.error';
import { elementCount, WeightSpec } from '../artifact/model-artifact';

/**
 * Building a layers model from its topology allocates every weight (and runs its initializer)
 * before the weights are read. A 2 KB topology can ask for a 20,000-unit layer: 30 s on the event
 * loop and gigabytes of memory for weights that the upload does not even contain. Here each weight
 * is counted as the layer asks for it, and the build stops before the first one that would take
 * the total past what the weights manifest holds.
 */

interface LayerWithAddWeight {
  addWeight(name: string, shape: (number | null)[], ...rest: unknown[]): unknown;
  name: string;
}

let budget: { remaining: number } | undefined;
let installed = false;

function installGuard(): void {
  if (installed) return;
  installed = true;
  const proto = tf.layers.Layer.prototype as unknown as LayerWithAddWeight;
  const addWeight = proto.addWeight;
  proto.addWeight = function (this: LayerWithAddWeight, name, shape, ...rest) {
    if (budget) {
      const size = shape.reduce<number>((n, d) => n * (d ?? 1), 1);
      if (!Number.isSafeInteger(size) || size > budget.remaining) {
        throw new InvalidArtifactError(
          'parameter-mismatch',
          `The topology defines more parameters than the weights manifest holds: layer '${String(this.name).slice(0, 100)}' ` +
            `needs a weight of shape [${shape.slice(0, 8).join(', ')}${shape.length > 8 ? ', …' : ''}] (${size} values) ` +
            `and only ${budget.remaining} of the manifest's parameters are left.`,
        );
      }
      budget.remaining -= size;
    }
    return addWeight.call(this, name, shape, ...rest);
  };
}

/**
 * Runs `build` (which must create the layers synchronously) allowing at most `parameters` weight
 * values in total. Synchronous on purpose: no other load can interleave with the budget in place.
 */
export function buildWithinParameters(parameters: number, build: () => void): void {
  installGuard();
  budget = { remaining: parameters };
  try {
    build();
  } finally {
    budget = undefined;
  }
}

/** Parameters inference uses: every manifest weight but optimizer state (saved with includeOptimizer). */
export function inferenceParameterCount(weights: readonly WeightSpec[]): number {
  return weights.reduce((n, w) => (w.group === 'optimizer' ? n : n + elementCount(w.shape)), 0);
}

/**
 * A copy of a Keras topology whose initializers are all zeros. Walked iteratively: model.json is
 * caller-supplied and may be nested deeper than the stack.
 */
export function withZeroInitializers(topology: unknown): unknown {
  const copy = (value: unknown): unknown => (Array.isArray(value) ? new Array(value.length) : isRecord(value) ? {} : value);
  const root = copy(topology);
  const stack: [unknown, unknown][] = [[topology, root]];
  while (stack.length) {
    const [source, target] = stack.pop()!;
    if (Array.isArray(source)) {
      source.forEach((item, i) => {
        (target as unknown[])[i] = copy(item);
        stack.push([item, (target as unknown[])[i]]);
      });
    } else if (isRecord(source)) {
      for (const [key, value] of Object.entries(source)) {
        if (key === '__proto__') continue;
        if (key.endsWith('_initializer') && isRecord(value) && 'class_name' in value) {
          (target as Record<string, unknown>)[key] = { class_name: 'Zeros', config: {} };
        } else {
          (target as Record<string, unknown>)[key] = copy(value);
          stack.push([value, (target as Record<string, unknown>)[key]]);
        }
      }
    }
  }
  return root;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Bytes one row needs for every layer's outputs (what a predict allocates, intermediates included,
 * as if none were freed early), from the shapes the build inferred: nothing runs. A dimension the
 * topology leaves open other than the batch counts as 1.
 */
export function activationBytesPerRow(model: tf.LayersModel): number {
  let values = 0;
  for (const layer of model.layers) {
    for (const node of (layer as unknown as { inboundNodes: { outputShapes: unknown }[] }).inboundNodes ?? []) {
      for (const shape of shapesOf(node.outputShapes)) {
        values += shape.slice(1).reduce<number>((n, d) => n * (typeof d === 'number' && d > 0 ? d : 1), 1);
      }
    }
  }
  return values * 4;
}

function shapesOf(value: unknown): (number | null)[][] {
  if (!Array.isArray(value)) return [];
  if (value.length === 0 || !Array.isArray(value[0])) return [value as (number | null)[]];
  return value as (number | null)[][];
}
