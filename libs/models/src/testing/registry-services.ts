import { type Actor, httpConfig, loadConfigSlice, type Role } from '@app/common';
import { registryConfig } from '../registry.config';
import type { ArtifactFiles, ArtifactInspector, ModelSignature } from '@app/inference';
import { AliasesService } from '../services/aliases.service';
import { LifecycleService } from '../services/lifecycle.service';
import { ModelVersionsService, NewVersion } from '../services/model-versions.service';
import { ModelsService } from '../services/models.service';
import { PromotionsService } from '../services/promotions.service';
import { RegistryEvent, RegistryEvents } from '../services/registry-events';
import { RegistryReader } from '../services/registry-reader';
import { TrafficService } from '../services/traffic.service';
import { ArtifactMissingError, ArtifactStorage } from '../storage/artifact-storage';
import { inMemoryRegistryPersistence } from './in-memory-repositories';

/** Artifacts in a map; `failNextPut` makes the next put throw. */
export class InMemoryArtifactStorage implements ArtifactStorage {
  readonly kind = 'filesystem' as const;
  readonly artifacts = new Map<string, ArtifactFiles>();

  async put(key: string, files: ArtifactFiles): Promise<void> {
    this.artifacts.set(key, new Map(files));
  }

  async get(key: string): Promise<ArtifactFiles> {
    const files = this.artifacts.get(key);
    if (!files) throw new ArtifactMissingError(key);
    return new Map(files);
  }

  async delete(key: string): Promise<void> {
    this.artifacts.delete(key);
  }

  async exists(key: string): Promise<boolean> {
    return this.artifacts.has(key);
  }
}

/** What the fake inspector reports for an artifact unless told otherwise: 4 features in, 3 classes out. */
export const SIGNATURE: ModelSignature = {
  framework: 'tfjs-layers',
  inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 3] }],
};

export const DEFAULT_SUNSET_DAYS = 30;

export function actorWith(roles: Role[], id = 'user-1'): Actor {
  return { caller: { id, kind: 'user', roles, email: `${id}@t.test` }, requestId: 'req-1', ip: '127.0.0.1' } as Actor;
}

/**
 * The registry's services over in-memory repositories, storage and a fake inspector (every
 * artifact "loads" with the same signature): the rules, without a database, a model load or a server.
 */
export function registryServices(env: Record<string, string> = {}) {
  const p = inMemoryRegistryPersistence();
  const config = loadConfigSlice(registryConfig, {
    DEFAULT_SUNSET_DAYS: String(DEFAULT_SUNSET_DAYS),
    SUNSET_SWEEP_INTERVAL_SECONDS: '0',
    MAX_ARTIFACT_BYTES: String(1 << 20),
    ...env,
  });
  const http = loadConfigSlice(httpConfig, { JSON_MAX_DEPTH: '32' });
  const storage = new InMemoryArtifactStorage();
  // An artifact whose model.json is a signature (JSON) "loads" with it; any other with SIGNATURE.
  const inspector = {
    inspect: async (files: ArtifactFiles) => {
      const json = JSON.parse(files.get('model.json')?.toString('utf8') ?? '{}') as Partial<ModelSignature>;
      return json.inputs && json.outputs ? { ...SIGNATURE, ...json } : SIGNATURE;
    },
  } as unknown as ArtifactInspector;
  const events = new RegistryEvents();
  const emitted: RegistryEvent[] = [];
  events.events$.subscribe((e) => emitted.push(e));

  const models = new ModelsService(p.models, p.versions, p.transactions, p.audit, events);
  const versions = new ModelVersionsService(
    p.models,
    p.versions,
    p.transactions,
    config,
    http,
    storage,
    inspector,
    p.audit,
    events,
    p.outbox,
    p.profiles,
  );
  const lifecycle = new LifecycleService(p.models, p.versions, p.traffic, p.transactions, config, p.audit, events, p.promotions, p.outbox);
  const promotions = new PromotionsService(p.models, p.versions, p.promotions, lifecycle, p.transactions, p.audit, p.outbox, events);
  const aliases = new AliasesService(p.models, p.versions, p.aliases, p.transactions, p.audit, events);
  const traffic = new TrafficService(p.models, p.versions, p.traffic, p.transactions, p.audit, events);
  const reader = new RegistryReader(p.models, p.versions, p.aliases, p.traffic, storage, events);

  /** Registers a version (draft unless told) of `name`, created on the way when missing; `signature` replaces SIGNATURE's tensors. */
  const addVersion = async (
    name: string,
    stage: NewVersion['stage'] = 'draft',
    actor: Actor | null = null,
    signature?: Pick<ModelSignature, 'inputs' | 'outputs'>,
  ) =>
    versions.register(
      name,
      {
        files: new Map([['model.json', Buffer.from(JSON.stringify(signature ?? {}))]]),
        metadata: { description: null, labels: null, metrics: {}, params: {} },
        stage,
      },
      actor,
      { createModel: { task: null } },
    );

  return { p, config, storage, events, emitted, models, versions, lifecycle, promotions, aliases, traffic, reader, addVersion };
}
