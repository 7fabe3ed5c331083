import { constants, setPriority } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { selectTfBackend } from '@app/inference';
import { MalformedDatasetError } from '../datasets/dataset-format';
import { ALREADY_CHECKED, readDataset } from '../datasets/dataset-reader';
import { train, TrainingDataError } from '../trainer/trainer';
import { STOP_REASONS, TrainingThreadInput, TrainingThreadMessage } from './training-thread.protocol';

/**
 * Entry point of a training thread (node:worker_threads): one thread per job, so tfjs' global
 * state (backend, memory, layer name counters) starts fresh for every run, and a stuck or leaking
 * run ends with its thread. Runs only when started as such; importing this file does nothing.
 */
async function run(input: TrainingThreadInput, post: (message: TrainingThreadMessage) => void): Promise<void> {
  lowerThisThreadsPriority();
  const control = new Int32Array(input.control);
  const { backend } = await selectTfBackend(input.backend);
  post({ type: 'started', backend });
  // Checked against the caps in force when it was uploaded; later caps must not fail its jobs.
  const dataset = await readDataset(input.dataset.bytes, { format: input.dataset.format, limits: ALREADY_CHECKED, collect: true });
  const result = await train(dataset, input.spec, {
    onEpoch: (record, epochs) => post({ type: 'epoch', record, epochs }),
    stopRequested: () => STOP_REASONS[Atomics.load(control, 0)],
  });
  post({ type: 'result', result });
}

/**
 * Training yields the CPU to serving: on Linux, setpriority(PRIO_PROCESS, 0) applies to the calling
 * thread only (each thread is its own task), so this renices the training thread and nothing else;
 * predictions keep their latency while a job runs on the same cores. Elsewhere it may renice the
 * whole process, so it is applied on Linux only; failure (no permission) just leaves it as it was.
 */
function lowerThisThreadsPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(constants.priority.PRIORITY_LOW);
  } catch {
    /* keep the default priority */
  }
}

if (!isMainThread && parentPort && (workerData as TrainingThreadInput | undefined)?.kind === 'modelgate-training') {
  const port = parentPort;
  const post = (message: TrainingThreadMessage) => port.postMessage(message);
  run(workerData as TrainingThreadInput, post).catch((error: unknown) => {
    const dataError = error instanceof TrainingDataError || error instanceof MalformedDatasetError;
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error), dataError });
  });
}
