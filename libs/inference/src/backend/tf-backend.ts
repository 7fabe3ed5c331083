import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type * as TfWasm from '@tensorflow/tfjs-backend-wasm';
import { capTfjsWasmHeap } from './wasm-memory';

export type TfBackendName = 'tensorflow' | 'wasm' | 'cpu';
export type TfBackendPreference = 'auto' | TfBackendName;

/** Fastest first: native libtensorflow, then WebAssembly (SIMD), then plain JavaScript. */
export const TF_BACKEND_ORDER: readonly TfBackendName[] = ['tensorflow', 'wasm', 'cpu'];

/**
 * Makes a backend available to tfjs (requires its package, points it at its binaries). Throws when
 * the backend cannot be used on this machine. A port so that tests can simulate a missing native
 * binding or a broken wasm build without uninstalling anything.
 */
export interface TfBackendLoader {
  register(name: TfBackendName): void | Promise<void>;
}

export interface TfBackendAttempt {
  backend: TfBackendName;
  error: string;
}

export interface TfBackendSelection {
  backend: TfBackendName;
  /** Backends tried before the chosen one, and why each was passed over. */
  skipped: TfBackendAttempt[];
}

export interface BackendLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

/**
 * The optional native backend is simply absent on most machines (its install downloads
 * libtensorflow): an expected outcome under `auto`, logged at debug, never at info.
 */
function isNativeBindingMissing(attempt: TfBackendAttempt): boolean {
  return attempt.backend === 'tensorflow' && attempt.error.startsWith("Cannot find module '@tensorflow/tfjs-node'");
}

/** The .wasm binaries ship inside the npm package; tfjs is pointed at them on disk, never the network. */
export function wasmBinaryPaths(): Record<string, string> {
  const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  return {
    'tfjs-backend-wasm.wasm': join(dist, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': join(dist, 'tfjs-backend-wasm-simd.wasm'),
    'tfjs-backend-wasm-threaded-simd.wasm': join(dist, 'tfjs-backend-wasm-threaded-simd.wasm'),
  };
}

export const defaultTfBackendLoader: TfBackendLoader = {
  register(name) {
    switch (name) {
      case 'tensorflow':
        // An optionalDependency whose install downloads libtensorflow: often absent, so it is
        // required only here, at run time, and its absence is an expected outcome.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('@tensorflow/tfjs-node');
        return;
      case 'wasm': {
        // Required lazily: importing the package registers 'wasm' with a higher priority than
        // 'cpu', which must not happen when cpu was chosen. Absolute file paths per binary (not a
        // URL prefix) make Emscripten read them with fs, which also works inside Jest's VM sandbox.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof TfWasm;
        wasm.setWasmPaths(wasmBinaryPaths());
        return;
      }
      case 'cpu':
        return; // bundled with @tensorflow/tfjs
    }
  },
};

/**
 * Picks the tfjs backend once at start-up. `auto` takes the first that works in TF_BACKEND_ORDER;
 * a forced backend that cannot start is a configuration error and fails start-up loudly.
 */
export async function selectTfBackend(
  preference: TfBackendPreference,
  options: { loader?: TfBackendLoader; logger?: BackendLogger } = {},
): Promise<TfBackendSelection> {
  const loader = options.loader ?? defaultTfBackendLoader;
  // Production mode drops tfjs' debug checks and its console nagging about tfjs-node.
  tf.enableProdMode();
  const candidates = preference === 'auto' ? TF_BACKEND_ORDER : [preference];
  const skipped: TfBackendAttempt[] = [];
  for (const backend of candidates) {
    const error = await tryBackend(backend, loader);
    if (error === undefined) {
      if (backend === 'wasm') capTfjsWasmHeap();
      const selection = { backend, skipped };
      // The one start-up line naming the inference backend; a missing optional tfjs-node is a note, not an error.
      const passedOver = skipped.map((s) => ({ backend: s.backend, error: isNativeBindingMissing(s) ? 'not installed' : s.error }));
      options.logger?.info({ backend, preference, skipped: passedOver }, `TensorFlow.js backend: ${backend}`);
      return selection;
    }
    const attempt = { backend, error };
    skipped.push(attempt);
    if (preference === 'auto' && isNativeBindingMissing(attempt)) {
      options.logger?.debug?.(
        { backend, error },
        `TensorFlow.js backend ${backend} is not available: @tensorflow/tfjs-node is not installed`,
      );
    } else {
      options.logger?.[preference === 'auto' && backend !== 'tensorflow' ? 'warn' : 'info'](
        { backend, error },
        `TensorFlow.js backend ${backend} is not available`,
      );
    }
  }
  throw new Error(
    `TF_BACKEND=${preference}: no usable TensorFlow.js backend (${skipped.map((s) => `${s.backend}: ${s.error}`).join('; ')})`,
  );
}

async function tryBackend(backend: TfBackendName, loader: TfBackendLoader): Promise<string | undefined> {
  try {
    await loader.register(backend);
    if (!(await tf.setBackend(backend))) return 'initialisation failed';
    await tf.ready();
    return tf.getBackend() === backend ? undefined : `tfjs kept backend ${tf.getBackend()}`;
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    // Node's "Cannot find module" message carries the whole require stack: the first line says it.
    return message.split('\n')[0];
  }
}
