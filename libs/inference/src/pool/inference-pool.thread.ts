import { isMainThread, parentPort, workerData } from 'node:worker_threads';
// domain-error alone, not the @app/common index: a pool thread's start-up should not load NestJS.
import { DomainError } from '@app/common/errors/domain-error';
import type { OutputColumns } from '../artifact/artifact.types';
import { InvalidArtifactError } from '../artifact/invalid-artifact.error';
import { InferenceEngineHealth, isFatalEngineError } from '../engine/engine-health';
import { engineMessage } from '../runtime/engine-message';
import { InferenceRuntime } from '../runtime/inference-runtime';
import type { LoadedModel } from '../runtime/loaded-model';
import { rowViews } from './packed-rows';
import type { PackedOutput, PoolFailure, PoolRequest, PoolResponse, PoolThreadSetup } from './pool.protocol';

/**
 * Entry point of an inference pool thread: a backend of its own, the models the host placed here,
 * and batches to run on them. Only registered versions load here (uploads are inspected in their
 * own threads first). A fatal engine error ends the thread after answering: the host answers its
 * other batches 503 and starts a fresh thread.
 */
function serve(setup: PoolThreadSetup, port: NonNullable<typeof parentPort>): void {
  const health = new InferenceEngineHealth();
  const runtime = InferenceRuntime.create(setup.backend, { limits: setup.limits, health });
  const models = new Map<number, LoadedModel>();
  port.on('message', (request: PoolRequest) => {
    void handle(request).then(({ response, transfer }) => {
      port.postMessage(response, transfer);
      // The engine's memory can no longer be trusted: this thread ends (the host replaces it).
      if (!health.healthy) process.exit(1);
    });
  });

  async function handle(request: PoolRequest): Promise<{ response: PoolResponse; transfer: ArrayBuffer[] }> {
    try {
      switch (request.type) {
        case 'load': {
          const files = new Map(request.files.map(([path, data]) => [path, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
          const model = await (await runtime).load(files);
          models.set(request.handle, model);
          const { signature, sizeBytes, parameterCount, weightBytes, bytesPerRow } = model;
          return {
            response: { id: request.id, type: 'loaded', signature, sizeBytes, parameterCount, weightBytes, bytesPerRow },
            transfer: [],
          };
        }
        case 'predict': {
          const model = models.get(request.handle);
          if (!model) throw new Error(`model handle ${request.handle} is not loaded on this thread`);
          const started = performance.now();
          const outputs = pack(await model.predictOutputs(request.inputs.map(rowViews)), model);
          const transfer = outputs.flatMap((o) => (o.kind === 'numbers' ? [o.data.buffer as ArrayBuffer] : []));
          return { response: { id: request.id, type: 'predicted', outputs, ms: performance.now() - started }, transfer };
        }
        case 'dispose': {
          models.get(request.handle)?.dispose();
          models.delete(request.handle);
          return { response: { id: request.id, type: 'disposed' }, transfer: [] };
        }
      }
    } catch (error) {
      if (isFatalEngineError(error) || isFatalEngineError((error as { cause?: unknown })?.cause)) health.markFailed(error);
      // After a fatal engine error this thread ends: the caller learns that its thread failed.
      const failure: PoolFailure = health.healthy
        ? failureOf(error)
        : {
            kind: 'domain',
            errorKind: 'unavailable',
            code: 'INFERENCE_WORKER_FAILED',
            message: 'The inference thread running this batch failed and is being replaced; retry shortly.',
          };
      return { response: { id: request.id, type: 'failed', failure }, transfer: [] };
    }
  }
}

function pack(outputs: OutputColumns, model: LoadedModel): PackedOutput[] {
  return outputs.map((rows, i) => {
    const datatype = model.signature.outputs[i]?.datatype;
    if (datatype === 'BYTES') return { kind: 'strings', rows: rows as string[][] };
    const width = rows[0]?.length ?? 0;
    const data =
      datatype === 'INT32'
        ? new Int32Array(rows.length * width)
        : datatype === 'BOOL'
          ? new Uint8Array(rows.length * width)
          : new Float32Array(rows.length * width);
    rows.forEach((row, r) => data.set(row as number[], r * width));
    return { kind: 'numbers', rows: rows.length, width, data };
  });
}

function failureOf(error: unknown): PoolFailure {
  if (error instanceof InvalidArtifactError) return { kind: 'invalid-artifact', reason: error.reason, message: error.message };
  if (error instanceof DomainError) return { kind: 'domain', errorKind: error.kind, code: error.code, message: error.message };
  return { kind: 'error', message: engineMessage(error) };
}

if (!isMainThread && parentPort && (workerData as PoolThreadSetup | undefined)?.kind === 'modelgate-inference-pool') {
  serve(workerData as PoolThreadSetup, parentPort);
}
