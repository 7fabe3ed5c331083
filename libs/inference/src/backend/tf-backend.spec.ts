import * as tf from '@tensorflow/tfjs';
import { defaultTfBackendLoader, selectTfBackend, TfBackendLoader, TfBackendName } from './tf-backend';

/** A loader that records what was tried and fails the backends it is told are unavailable. */
function scriptedLoader(unavailable: Partial<Record<TfBackendName, Error>>): TfBackendLoader & { tried: TfBackendName[] } {
  const tried: TfBackendName[] = [];
  return {
    tried,
    async register(name) {
      tried.push(name);
      const error = unavailable[name];
      if (error) throw error;
      if (name === 'tensorflow') {
        // Stands in for tfjs-node's registration (its kernels are not needed to test the choice).
        tf.registerBackend('tensorflow', tf.findBackendFactory('cpu')!, 3);
      } else {
        await defaultTfBackendLoader.register(name);
      }
    },
  };
}

function notInstalled(pkg: string): Error {
  return Object.assign(new Error(`Cannot find module '${pkg}'\nRequire stack:\n- somewhere`), { code: 'MODULE_NOT_FOUND' });
}

function canResolve(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

describe('selectTfBackend', () => {
  afterEach(async () => {
    if (tf.findBackend('tensorflow') || tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
    await tf.setBackend('cpu');
  });

  it('auto prefers tfjs-node when it can be required', async () => {
    const loader = scriptedLoader({});
    const selection = await selectTfBackend('auto', { loader });
    expect(selection).toEqual({ backend: 'tensorflow', skipped: [] });
    expect(tf.getBackend()).toBe('tensorflow');
    expect(loader.tried).toEqual(['tensorflow']);
  });

  it('auto falls back to wasm when tfjs-node is not installed', async () => {
    const loader = scriptedLoader({ tensorflow: notInstalled('@tensorflow/tfjs-node') });
    const selection = await selectTfBackend('auto', { loader });
    expect(selection.backend).toBe('wasm');
    expect(selection.skipped).toEqual([{ backend: 'tensorflow', error: "Cannot find module '@tensorflow/tfjs-node'" }]);
    expect(tf.getBackend()).toBe('wasm');
    expect(loader.tried).toEqual(['tensorflow', 'wasm']);
  });

  it('auto falls back to cpu when tfjs-node is missing and wasm fails', async () => {
    const loader = scriptedLoader({
      tensorflow: notInstalled('@tensorflow/tfjs-node'),
      wasm: new Error('WebAssembly.instantiate(): expected magic word'),
    });
    const logged: string[] = [];
    const logger = { info: (_: object, msg: string) => logged.push(msg), warn: (_: object, msg: string) => logged.push(msg) };
    const selection = await selectTfBackend('auto', { loader, logger });
    expect(selection.backend).toBe('cpu');
    expect(selection.skipped.map((s) => s.backend)).toEqual(['tensorflow', 'wasm']);
    expect(selection.skipped[1].error).toContain('expected magic word');
    expect(loader.tried).toEqual(['tensorflow', 'wasm', 'cpu']);
    expect(logged.at(-1)).toBe('TensorFlow.js backend: cpu');
  });

  it('a forced backend is the only one tried', async () => {
    const loader = scriptedLoader({});
    expect(await selectTfBackend('cpu', { loader })).toEqual({ backend: 'cpu', skipped: [] });
    expect(loader.tried).toEqual(['cpu']);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('a forced backend that cannot start fails start-up instead of falling back', async () => {
    const loader = scriptedLoader({ tensorflow: notInstalled('@tensorflow/tfjs-node') });
    await expect(selectTfBackend('tensorflow', { loader })).rejects.toThrow(
      /TF_BACKEND=tensorflow: no usable TensorFlow.js backend \(tensorflow: Cannot find module/,
    );
    expect(loader.tried).toEqual(['tensorflow']);
  });

  it('the real loader starts wasm from the binaries inside the npm package (no network)', async () => {
    const selection = await selectTfBackend('wasm');
    expect(selection.backend).toBe('wasm');
    const product = tf.tidy(() =>
      tf
        .tensor2d([
          [1, 2],
          [3, 4],
        ])
        .matMul(tf.tensor2d([[1], [1]]))
        .dataSync(),
    );
    expect(Array.from(product)).toEqual([3, 7]);
  });

  it('the real loader picks tfjs-node if installed, else wasm', async () => {
    const selection = await selectTfBackend('auto');
    expect(selection.backend).toBe(canResolve('@tensorflow/tfjs-node') ? 'tensorflow' : 'wasm');
  });
});
