import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { InvalidArtifactError } from '../artifact/invalid-artifact.error';
import { capWasmMemory } from '../backend/wasm-memory';
import { isFatalEngineError } from '../engine/engine-health';
import { InferenceRuntime } from '../runtime/inference-runtime';
import { engineMessage } from '../runtime/engine-message';
import { InspectionRequest, InspectionThreadMessage, InspectionThreadSetup } from './inspection.protocol';

/**
 * Entry point of an inspection thread: uploaded artifacts are parsed, built and test-run here,
 * with a backend of its own, never where serving runs. Whatever an upload does to this thread's
 * memory (a tensor past the wasm heap's limits corrupts it) ends with the thread: the host
 * replaces a thread after any failed inspection.
 */
function serve(setup: InspectionThreadSetup, port: NonNullable<typeof parentPort>): void {
  // Every WebAssembly memory of this thread is the engine's.
  capWasmMemory(setup.maxWasmBytes);
  const runtime = InferenceRuntime.create(setup.backend, { limits: setup.limits });
  port.on('message', (request: InspectionRequest) => {
    void inspect(runtime, request).then((message) => port.postMessage(message));
  });
}

async function inspect(runtime: Promise<InferenceRuntime>, { id, files }: InspectionRequest): Promise<InspectionThreadMessage> {
  try {
    const artifact = new Map(files.map(([path, data]) => [path, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
    return { id, type: 'inspected', inspection: await (await runtime).inspect(artifact) };
  } catch (error) {
    if (error instanceof InvalidArtifactError && !isFatalEngineError(error.cause)) {
      return { id, type: 'invalid', reason: error.reason, message: error.message };
    }
    return { id, type: 'crashed', message: engineMessage(error instanceof InvalidArtifactError ? error.cause : error) };
  }
}

if (!isMainThread && parentPort && (workerData as InspectionThreadSetup | undefined)?.kind === 'modelgate-inspection') {
  serve(workerData as InspectionThreadSetup, parentPort);
}
