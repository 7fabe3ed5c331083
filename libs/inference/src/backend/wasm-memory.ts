import * as tf from '@tensorflow/tfjs';

/**
 * The wasm backend's index arithmetic is 32-bit: a heap past 2 GiB already corrupts later calls
 * (seen here with a single 2.16 GB tensor), and 4 GiB wraps. Serving keeps its heap below this.
 */
export const WASM_SAFE_HEAP_BYTES = 2 ** 31 - 65_536;

/**
 * Refuses to grow a WebAssembly memory past `maxBytes`. The wasm backend grows its heap through
 * WebAssembly.Memory#grow (Emscripten's resize hook), so an allocation past the ceiling fails
 * inside the engine, which then traps: a fatal engine error the runtime detects (and the process is
 * replaced), instead of a heap that silently wraps or takes the machine's memory. `applies` picks
 * the memories concerned (the embedded database is WebAssembly too).
 */
export function capWasmMemory(maxBytes: number, applies: (memory: WebAssembly.Memory) => boolean = () => true): void {
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function (this: WebAssembly.Memory, pages: number) {
    if (applies(this) && this.buffer.byteLength + pages * 65_536 > maxBytes) {
      throw new RangeError(`WebAssembly memory limit reached (${maxBytes} bytes)`);
    }
    return grow.call(this, pages);
  };
}

let tfjsCapped = false;

/** Caps the heap of this thread's tfjs wasm backend only (once per thread). */
export function capTfjsWasmHeap(maxBytes = WASM_SAFE_HEAP_BYTES): void {
  if (tfjsCapped) return;
  tfjsCapped = true;
  capWasmMemory(maxBytes, (memory) => memory.buffer === tfjsWasmHeap());
}

function tfjsWasmHeap(): ArrayBufferLike | undefined {
  const backend = tf.findBackend('wasm') as unknown as { wasm?: { HEAPU8?: Uint8Array } } | null;
  return backend?.wasm?.HEAPU8?.buffer;
}
