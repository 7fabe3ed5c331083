import { SchedulerRegistry } from '@nestjs/schedule';
import type { Logger as PinoInstance } from 'pino';
import { Actor, loadConfigSlice } from '@app/common';
import { ScheduledJobs } from '@app/database';
import type { ServableVersion } from '@app/models';
import { servingConfig } from '../serving.config';
import { InMemoryPredictionLogsRepository, InMemoryUnitOfWork } from '../testing/in-memory-repositories';
import { PayloadLogRecorder } from './payload-log-recorder';

const MODEL_ID = '00000000-0000-4000-8000-000000000001';
const engineer: Actor = { caller: { id: 'u-eng', kind: 'user', roles: ['ml-engineer'] }, requestId: 'req-1', ip: '10.0.0.1' };

function setup() {
  const logs = new InMemoryPredictionLogsRepository();
  const logger = { warn: jest.fn(), error: jest.fn() };
  const jobs = new ScheduledJobs(new SchedulerRegistry(), new InMemoryUnitOfWork());
  const config = loadConfigSlice(servingConfig, {});
  const recorder = new PayloadLogRecorder(logs, config, logger as unknown as PinoInstance, jobs, { url: undefined });
  return { logs, logger, recorder };
}

describe('PayloadLogRecorder (over an in-memory log)', () => {
  const version = { modelId: MODEL_ID, modelName: 'iris', version: 3 } as ServableVersion;

  it('stores pairs with their expiry in batches, and never fails the prediction when the write does (kept, retried)', async () => {
    const { recorder, logs, logger } = setup();
    const before = Date.now();
    recorder.record(version, engineer, [[1, 2]], [[0.9]], 7);
    // Written behind the request: nothing until the flush (the scheduled job, or shutdown).
    expect(logs.rows).toEqual([]);
    await recorder.flush();
    expect(logs.rows).toEqual([
      expect.objectContaining({ modelId: MODEL_ID, version: 3, requestId: 'req-1', callerId: 'u-eng', input: [[1, 2]], output: [[0.9]] }),
    ]);
    expect(logs.rows[0].expiresAt.getTime()).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
    logs.failure = new Error('connection refused');
    expect(() => recorder.record(version, engineer, [[1]], [[1]], 7)).not.toThrow();
    await recorder.flush();
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ pending: 1 }), 'prediction payloads not written yet; will retry');
    logs.failure = undefined;
    await recorder.beforeApplicationShutdown();
    expect(logs.rows.map((r) => r.input)).toEqual([[[1, 2]], [[1]]]);
  });

  it('names what could not be written before shutdown', async () => {
    const { recorder, logs, logger } = setup();
    logs.failure = new Error('connection refused');
    recorder.record(version, engineer, [[1]], [[1]], 7);
    await recorder.onApplicationShutdown();
    expect(logger.error).toHaveBeenCalledWith({ lost: 1 }, 'prediction payloads could not be written before shutdown');
    expect(recorder.pending).toBe(1);
  });
});
