import * as tf from '@tensorflow/tfjs';
import { selectTfBackend } from './tf-backend';
import { capWasmMemory } from './wasm-memory';

/**
 * The heap ceiling is what keeps a tensor from ever approaching the wasm backend's 2–4 GiB danger
 * zone: past it the allocation fails inside the engine (a trap the runtime treats as fatal) instead
 * of the heap growing. This file's engine is broken on purpose, so it is alone in its file.
 */
describe('WebAssembly heap ceiling', () => {
  it('an allocation past the ceiling fails inside the engine, the heap does not grow', async () => {
    await selectTfBackend('wasm');
    const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
    const small = tf.ones([1024]);
    expect(heap()).toBeDefined();
    const before = heap().buffer.byteLength;
    capWasmMemory(before + 16 * 1_048_576, (memory) => memory.buffer === heap().buffer);
    // 64 MB: four times what the ceiling leaves.
    expect(() => tf.ones([16 * 1_048_576]).dataSync()).toThrow();
    expect(heap().buffer.byteLength).toBeLessThanOrEqual(before + 16 * 1_048_576);
    small.dispose();
  });

  it('memories it does not apply to grow as before', () => {
    const other = new WebAssembly.Memory({ initial: 1, maximum: 100 });
    capWasmMemory(65_536, (memory) => memory !== other);
    expect(() => other.grow(10)).not.toThrow();
    expect(other.buffer.byteLength).toBe(11 * 65_536);
  });
});
