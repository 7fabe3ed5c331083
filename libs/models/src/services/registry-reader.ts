import { Inject, Injectable } from '@nestjs/common';
import type { ArtifactFiles, ModelFramework, TensorSpec } from '@app/inference';
import { Observable } from 'rxjs';
import { ModelDto } from '../dto/model.dto';
import { encodingOf, FeatureEncoder } from '../domain/feature-encoding';
import { effectiveStage, Stage } from '../domain/lifecycle';
import { PRODUCTION_ALIAS } from '../domain/model-name';
import { ModelAliasNotFoundError, NoProductionVersionError } from '../domain/registry-errors';
import { ModelEntity } from '../entities/model.entity';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { ModelAliasesRepository } from '../repositories/model-aliases.repository';
import { ModelTrafficRepository } from '../repositories/model-traffic.repository';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { ModelsRepository } from '../repositories/models.repository';
import { ARTIFACT_STORAGE, ArtifactStorage } from '../storage/artifact-storage';
import { modelNamed, versionOf } from './lookups';
import { RegistryEvent, RegistryEvents } from './registry-events';
import { toModelDto } from './views';

/** What serving needs to know about a version; `stage` is the effective one at read time. */
export interface ServableVersion {
  modelId: string;
  modelName: string;
  versionId: string;
  version: number;
  stage: Stage;
  framework: ModelFramework;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  labels: string[] | null;
  sha256: string;
  sizeBytes: number;
  deprecatedAt: Date | null;
  sunsetAt: Date | null;
  successorVersion: number | null;
  /** Opaque storage key; pass the version to readArtifact(). */
  artifactKey: string;
  /** Column order of the input when the version names its features (`params.features`): rows may then be objects. */
  featureNames: string[] | null;
  /**
   * A version trained here (with its stored encoding): turns raw rows (named features, category
   * strings, nulls) into the model's input. Unless it is `plain` (numbers only), requests are read
   * feature by feature (v2, TF Serving columns).
   */
  encoder?: FeatureEncoder | null;
  /** What requests send (v2, TF Serving metadata): one tensor per raw feature with an encoder, else `inputs`. */
  requestInputs?: TensorSpec[];
}

export interface CanarySetting {
  version: number;
  percent: number;
}

/** A shadow: `since` names its run (the report counts from there; a new version starts a new run). */
export interface ShadowSetting {
  modelId: string;
  version: number;
  percent: number;
  since: Date;
}

/**
 * The registry's read side for the serving layer: resolve production / a version / an alias /
 * the canary, and fetch artifacts. Throws the registry's 404 errors; leaves retired (410) and
 * draft-visibility decisions to the caller, which knows the route and the caller's role.
 */
@Injectable()
export class RegistryReader {
  readonly events$: Observable<RegistryEvent>;
  /** Registry events from other replicas may have been missed: drop whatever is cached. */
  readonly resync$: Observable<void>;

  constructor(
    private readonly models: ModelsRepository,
    private readonly versionRows: ModelVersionsRepository,
    private readonly aliases: ModelAliasesRepository,
    private readonly traffic: ModelTrafficRepository,
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
    events: RegistryEvents,
  ) {
    this.events$ = events.events$;
    this.resync$ = events.resync$;
  }

  // Reads run outside any transaction: no BEGIN/COMMIT round trips on the serving path.

  async model(name: string): Promise<ModelDto> {
    const model = await modelNamed(this.models, name);
    const versions = await this.versionRows.listAll(model.id);
    return toModelDto(model, versions.find((v) => v.stage === 'production')?.version ?? null, versions);
  }

  async productionVersion(name: string): Promise<ServableVersion> {
    const model = await modelNamed(this.models, name);
    const row = await this.versionRows.findProduction(model.id);
    if (!row) throw new NoProductionVersionError(name);
    return servable(model, row);
  }

  async version(name: string, version: number): Promise<ServableVersion> {
    const model = await modelNamed(this.models, name);
    return servable(model, await versionOf(this.versionRows, model, version));
  }

  /** `production` resolves to the production stage; anything else to a stored alias. */
  async alias(name: string, alias: string): Promise<ServableVersion> {
    if (alias === PRODUCTION_ALIAS) return this.productionVersion(name);
    const model = await modelNamed(this.models, name);
    const row = await this.aliases.find(model.id, alias);
    if (!row) throw new ModelAliasNotFoundError(name, alias);
    return servable(model, await versionOf(this.versionRows, model, row.version));
  }

  /** The production version of every (not deleted) model: what serving warms at start-up. */
  async productionVersions(): Promise<ServableVersion[]> {
    const rows = await this.versionRows.listLiveProduction();
    return rows.map((r) => servable(r.model, r.version));
  }

  /** Deprecated versions across models, soonest sunset first (those sunsetting before `before` when given). */
  async deprecatedVersions(filter: { before?: Date; limit: number; offset: number }): Promise<{ rows: ServableVersion[]; total: number }> {
    const { rows, total } = await this.versionRows.listDeprecated(filter);
    return { rows: rows.map((r) => servable(r.model, r.version)), total };
  }

  /** Every version of a model, newest first, with effective stages (for /v2/models/{name}). */
  async versions(name: string): Promise<ServableVersion[]> {
    const model = await modelNamed(this.models, name);
    const rows = await this.versionRows.listAll(model.id);
    return rows.map((r) => servable(model, r));
  }

  async canary(name: string): Promise<CanarySetting | null> {
    const model = await modelNamed(this.models, name);
    const row = await this.traffic.find(model.id);
    return row?.canaryVersion != null && row.canaryPercent != null ? { version: row.canaryVersion, percent: row.canaryPercent } : null;
  }

  async shadow(name: string): Promise<ShadowSetting | null> {
    const model = await modelNamed(this.models, name);
    const row = await this.traffic.find(model.id);
    if (row?.shadowVersion == null || row.shadowPercent == null || !row.shadowSince) return null;
    return { modelId: model.id, version: row.shadowVersion, percent: row.shadowPercent, since: row.shadowSince };
  }

  /** The version's files (model.json + shards + extras), as uploaded. */
  readArtifact(version: Pick<ServableVersion, 'artifactKey'>): Promise<ArtifactFiles> {
    return this.storage.get(version.artifactKey);
  }
}

function servable(model: ModelEntity, v: ModelVersionEntity, now: Date = new Date()): ServableVersion {
  return {
    modelId: model.id,
    modelName: model.name,
    versionId: v.id,
    version: v.version,
    stage: effectiveStage(v, now),
    framework: v.framework,
    inputs: v.inputs,
    outputs: v.outputs,
    labels: v.labels,
    sha256: v.sha256,
    sizeBytes: v.sizeBytes,
    deprecatedAt: v.deprecatedAt,
    sunsetAt: v.sunsetAt,
    successorVersion: v.successorVersion,
    artifactKey: v.artifactKey,
    ...served(v),
  };
}

function served(v: ModelVersionEntity): Pick<ServableVersion, 'featureNames' | 'encoder' | 'requestInputs'> {
  const encoding = encodingOf(v.params);
  if (!encoding) return { featureNames: featureNamesOf(v.params, v.inputs), encoder: null, requestInputs: v.inputs };
  const encoder = new FeatureEncoder(encoding);
  // Plain numbers keep their one input (v2 and TF Serving clients see what they always saw); rows with nulls are imputed.
  if (encoder.plain) return { featureNames: featureNamesOf(v.params, v.inputs), encoder, requestInputs: v.inputs };
  return {
    featureNames: encoding.features.map((f) => f.name),
    encoder,
    requestInputs: encoding.features.map((f) => ({
      name: f.name,
      datatype: f.type === 'number' ? 'FP32' : f.type === 'boolean' ? 'BOOL' : 'BYTES',
      shape: [-1, 1],
    })),
  };
}

function featureNamesOf(params: Record<string, unknown>, inputs: TensorSpec[]): string[] | null {
  const names = params?.features;
  // Named features are the columns of a single input; several inputs are named by themselves.
  if (inputs.length !== 1) return null;
  const width = inputs[0].shape[inputs[0].shape.length - 1];
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string') || names.length !== width) return null;
  return names as string[];
}
