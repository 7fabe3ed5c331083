import { SchedulerRegistry } from '@nestjs/schedule';
import { Actor, ClusterEvents, loadConfigSlice, createValidationPipe, InProcessClusterEvents, ValidationFailedError } from '@app/common';
import { databaseConfig, DatabaseUnavailableError, ScheduledJobs } from '@app/database';
import { servingConfig } from '../serving.config';
import { ModelNotFoundError, RegistryReader } from '@app/models';
import { UpdateServingSettingsDto } from '../dto/serving-settings.dto';
import { InMemoryPredictionLogsRepository, InMemoryServingSettingsRepository, InMemoryUnitOfWork } from '../testing/in-memory-repositories';
import { ServingSettingsService } from './serving-settings.service';

const MODELS: Record<string, string> = { iris: '00000000-0000-4000-8000-000000000001', wine: '00000000-0000-4000-8000-000000000002' };
const engineer: Actor = { caller: { id: 'u-eng', kind: 'user', roles: ['ml-engineer'] }, requestId: 'req-1', ip: '10.0.0.1' };

class RecordingClusterEvents implements ClusterEvents {
  private readonly inner = new InProcessClusterEvents();
  readonly instanceId = this.inner.instanceId;
  readonly published: [string, unknown][] = [];
  publish(topic: string, payload: unknown): void {
    this.published.push([topic, payload]);
  }
  subscribe = () => this.inner.subscribe();
  onResync = () => this.inner.onResync();
  status = () => this.inner.status();
}

function setup() {
  const settings = new InMemoryServingSettingsRepository();
  const logs = new InMemoryPredictionLogsRepository();
  const transactions = new InMemoryUnitOfWork();
  const registry = {
    model: async (name: string) => {
      if (!MODELS[name]) throw new ModelNotFoundError(name);
      return { id: MODELS[name], name };
    },
  } as unknown as RegistryReader;
  const config = loadConfigSlice(servingConfig, { PAYLOAD_PURGE_INTERVAL_SECONDS: '0' });
  const database = loadConfigSlice(databaseConfig, { STALE_IF_ERROR_MS: '60000' });
  const cluster = new RecordingClusterEvents();
  const jobs = new ScheduledJobs(new SchedulerRegistry(), transactions);
  const service = new ServingSettingsService(settings, logs, transactions, registry, config, database, jobs, cluster);
  return { settings, logs, transactions, service, cluster };
}

describe('ServingSettingsService (over in-memory repositories)', () => {
  describe('defaults', () => {
    it('serves a model that never changed its settings with the defaults (no cache, no payload logging, 30 days)', async () => {
      const { service } = setup();
      const defaults = { responseCacheTtlSeconds: null, logPayloads: false, payloadRetentionDays: 30 };
      expect(await service.forModel(MODELS.iris)).toEqual(defaults);
      expect(await service.get('iris')).toEqual({ model: 'iris', ...defaults, updatedAt: null, updatedBy: null });
    });

    it('refuses an unknown model', async () => {
      const { service } = setup();
      await expect(service.get('nope')).rejects.toBeInstanceOf(ModelNotFoundError);
      await expect(service.update('nope', { logPayloads: true }, engineer)).rejects.toBeInstanceOf(ModelNotFoundError);
    });
  });

  describe('update', () => {
    it('changes only what is given, over the defaults first and the stored settings after', async () => {
      const { service } = setup();
      const first = await service.update('iris', { logPayloads: true }, engineer);
      expect(first).toMatchObject({
        model: 'iris',
        responseCacheTtlSeconds: null,
        logPayloads: true,
        payloadRetentionDays: 30,
        updatedBy: 'u-eng',
      });
      expect(first.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      const second = await service.update('iris', { responseCacheTtlSeconds: 60 }, engineer);
      expect(second).toMatchObject({ responseCacheTtlSeconds: 60, logPayloads: true, payloadRetentionDays: 30 });
      const off = await service.update('iris', { responseCacheTtlSeconds: null }, engineer);
      expect(off).toMatchObject({ responseCacheTtlSeconds: null, logPayloads: true });
      expect(await service.get('wine')).toMatchObject({ logPayloads: false, updatedBy: null });
    });

    it('takes effect at once here and tells the other replicas', async () => {
      const { service, cluster } = setup();
      expect(service.forModelNow(MODELS.iris)).toBeUndefined();
      expect((await service.forModel(MODELS.iris)).logPayloads).toBe(false); // now cached
      expect(service.forModelNow(MODELS.iris)?.logPayloads).toBe(false); // and known without a promise
      await service.update('iris', { logPayloads: true, payloadRetentionDays: 7 }, engineer);
      // The hot path never answers the old settings after a change.
      expect(service.forModelNow(MODELS.iris)).toBeUndefined();
      expect(await service.forModel(MODELS.iris)).toEqual({ responseCacheTtlSeconds: null, logPayloads: true, payloadRetentionDays: 7 });
      expect(service.forModelNow(MODELS.iris)).toEqual({ responseCacheTtlSeconds: null, logPayloads: true, payloadRetentionDays: 7 });
      expect(cluster.published).toEqual([['serving-settings', { modelId: MODELS.iris }]]);
    });

    it('keeps serving the last known settings while the database is unreachable', async () => {
      const { service, settings } = setup();
      await service.update('iris', { responseCacheTtlSeconds: 30 }, engineer);
      expect((await service.forModel(MODELS.iris)).responseCacheTtlSeconds).toBe(30);
      jest.useFakeTimers({ now: Date.now() + 10_000, doNotFake: ['nextTick', 'setImmediate'] });
      try {
        settings.unavailable = new DatabaseUnavailableError(new Error('ECONNREFUSED'));
        const reads = settings.reads;
        expect((await service.forModel(MODELS.iris)).responseCacheTtlSeconds).toBe(30);
        expect(settings.reads).toBe(reads + 1); // past the TTL: it did try the database
      } finally {
        jest.useRealTimers();
      }
    });
  });

  describe('validation of a change (the request body)', () => {
    const pipe = createValidationPipe();
    const validate = (body: unknown) => pipe.transform(body, { type: 'body', metatype: UpdateServingSettingsDto });
    const fields = async (body: unknown) => {
      try {
        await validate(body);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationFailedError);
        return (error as ValidationFailedError).errors!.map((e) => e.field);
      }
      return [];
    };

    it('accepts any subset within range, and null to turn the response cache off', async () => {
      expect(await fields({})).toEqual([]);
      expect(await fields({ responseCacheTtlSeconds: null })).toEqual([]);
      expect(await fields({ responseCacheTtlSeconds: 1, logPayloads: false, payloadRetentionDays: 3650 })).toEqual([]);
      expect(await fields({ responseCacheTtlSeconds: 86_400, payloadRetentionDays: 1 })).toEqual([]);
    });

    it('refuses values out of range or of the wrong type', async () => {
      expect(await fields({ responseCacheTtlSeconds: 0 })).toEqual(['responseCacheTtlSeconds']);
      expect(await fields({ responseCacheTtlSeconds: 86_401 })).toEqual(['responseCacheTtlSeconds']);
      expect(await fields({ responseCacheTtlSeconds: 1.5 })).toEqual(['responseCacheTtlSeconds']);
      expect(await fields({ payloadRetentionDays: 0 })).toEqual(['payloadRetentionDays']);
      expect(await fields({ payloadRetentionDays: 3651 })).toEqual(['payloadRetentionDays']);
      expect(await fields({ logPayloads: 'yes' })).toEqual(['logPayloads']);
    });
  });

  describe('payload retention', () => {
    it('purges what expired, as one replica at a time (skipped while another holds the job)', async () => {
      const { service, logs, transactions } = setup();
      const now = new Date('2030-01-01T00:00:00.000Z');
      const base = { modelId: MODELS.iris, version: 1, requestId: 'r', callerId: null, input: [[1]], output: [[1]] };
      await logs.insertBatch([
        { ...base, expiresAt: new Date(now.getTime() - 1) },
        { ...base, expiresAt: now },
        { ...base, expiresAt: new Date(now.getTime() + 1) },
      ]);
      transactions.heldElsewhere.add('predictions.purge-expired-payloads');
      expect(await service.purgeExpiredPayloads(now)).toBe(0);
      expect(logs.rows).toHaveLength(3);
      transactions.heldElsewhere.clear();
      expect(await service.purgeExpiredPayloads(now)).toBe(1);
      expect(logs.rows.map((r) => r.expiresAt.getTime())).toEqual([now.getTime(), now.getTime() + 1]);
      expect(transactions.exclusiveRuns).toEqual(['predictions.purge-expired-payloads']);
    });
  });
});
