import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditTrail, EventOutbox } from '@app/audit';
import { Actor, httpConfig, type HttpConfig, InjectConfig, Page, toPage, ValidationFailedError } from '@app/common';
import { registryConfig, type RegistryConfig } from '../registry.config';
import { Transaction, UnitOfWork } from '@app/database';
import { ArtifactFiles, ArtifactInspector } from '@app/inference';
import { artifactDigestAsync, artifactSize } from '../artifacts/artifact-digest';
import { artifactTarball } from '../artifacts/artifact-tarball';
import { ModelVersionDto } from '../dto/model-version.dto';
import { UpdateVersionDto } from '../dto/update-version.dto';
import { ListVersionsQueryDto } from '../dto/version-queries.dto';
import { etagOf, ifMatchSatisfied } from '../domain/etag';
import { Stage } from '../domain/lifecycle';
import { MODEL_NAME_PATTERN } from '../domain/model-name';
import { principalOf } from '../domain/principal';
import { ConcurrentModificationError, ModelNotFoundError, PreconditionFailedError } from '../domain/registry-errors';
import { checkLabelsAgainstOutputs, labelsFromArtifact, parseVersionFields, VersionMetadata } from '../domain/upload-fields';
import { planVersionUpdate } from '../domain/version-update';
import { ModelEntity } from '../entities/model.entity';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { ModelsRepository } from '../repositories/models.repository';
import { RegistryWriteConflict } from '../repositories/registry-write-conflict';
import { ARTIFACT_STORAGE, ArtifactStorage } from '../storage/artifact-storage';
import { ArtifactUpload, artifactFilesOf } from './artifact-upload';
import { lockModelNamed, lockVersionOf, modelNamed, versionOf } from './lookups';
import { RegistryEvents } from './registry-events';
import type { VersionProfile } from '../domain/feature-profile';
import { VersionProfilesRepository } from '../repositories/version-profiles.repository';
import { toVersionDto } from './views';

/** A new version as the registry's other writers (training, quantization) hand it in. */
export interface NewVersion {
  files: ArtifactFiles;
  metadata: VersionMetadata;
  /** draft for uploads and quantization, staging for trained versions. */
  stage?: Extract<Stage, 'draft' | 'staging'>;
  source?: Record<string, unknown> | null;
  /** Overrides the principal recorded as createdBy (e.g. `training-job:<id>`). */
  createdBy?: string;
  reason?: string;
  /** The reference distribution it was trained on (and the dataset): kept with the version, in the same transaction. */
  trainingProfile?: { profile: VersionProfile; datasetId: string };
}

export interface RegisterOptions {
  /** Create the model (no description, no tags) when it does not exist: trained models do this. */
  createModel?: { task?: string | null };
}

/** What register() created: the version as the API shows it, and its id (for lineage, e.g. training jobs). */
export interface RegisteredVersion {
  id: string;
  dto: ModelVersionDto;
}

export interface ArtifactDownload {
  filename: string;
  data: Buffer;
  sha256: string;
}

@Injectable()
export class ModelVersionsService {
  private readonly logger = new Logger(ModelVersionsService.name);

  constructor(
    private readonly models: ModelsRepository,
    private readonly versions: ModelVersionsRepository,
    private readonly transactions: UnitOfWork,
    @InjectConfig(registryConfig) private readonly config: RegistryConfig,
    @InjectConfig(httpConfig) private readonly http: HttpConfig,
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
    private readonly inspector: ArtifactInspector,
    private readonly audit: AuditTrail,
    private readonly events: RegistryEvents,
    private readonly outbox: EventOutbox,
    private readonly profiles: VersionProfilesRepository,
  ) {}

  /** POST /v1/models/{name}/versions: a multipart upload becomes a draft version. */
  async upload(name: string, upload: ArtifactUpload, actor: Actor | null): Promise<ModelVersionDto> {
    // Cheap checks first: a missing model or a bad field never costs an unpack or a model load.
    await modelNamed(this.models, name);
    const metadata = parseVersionFields(upload.fields, this.http.jsonMaxDepth);
    const limits = this.config;
    const files = await artifactFilesOf(upload, {
      maxFiles: limits.maxArtifactFiles,
      maxEntries: limits.maxArtifactFiles * 2,
      maxTotalBytes: limits.maxArtifactBytes,
    });
    if (!metadata.labels) metadata.labels = labelsFromArtifact(files);
    return (await this.register(name, { files, metadata, stage: 'draft', reason: 'uploaded' }, actor)).dto;
  }

  /**
   * Validates (loads with tfjs), stores and records a new version. The artifact is written under a
   * fresh key before the row exists; the row, its version number and its history commit together;
   * if anything fails after the write, the artifact is deleted again. So a version is visible only
   * once complete, and no row ever points at a missing artifact. Returns the version and its id.
   */
  async register(name: string, input: NewVersion, actor: Actor | null, options: RegisterOptions = {}): Promise<RegisteredVersion> {
    const signature = await this.inspector.inspect(input.files);
    checkLabelsAgainstOutputs(input.metadata.labels, signature.outputs);

    // Hashed in slices, outside the transaction: a large artifact neither holds the event loop nor a row lock.
    const sha256 = await artifactDigestAsync(input.files);

    const model = await this.transactions.run((tx) => this.modelFor(tx, name, options, actor));
    const id = randomUUID();
    const artifactKey = `${model.id}/${id}`;
    await this.storage.put(artifactKey, input.files);
    let created: ModelVersionEntity;
    let production: ModelVersionEntity | null = null;
    try {
      created = await this.transactions.run(async (tx) => {
        // The row lock taken by the allocation serialises concurrent uploads to the same model until
        // commit; a rolled-back upload gives its number back, so numbers stay gapless.
        const number = await this.models.allocateVersion(model.id, tx);
        if (number === null) throw new ModelNotFoundError(name);
        const stage = input.stage ?? 'draft';
        const row = await this.versions.insert(
          {
            id,
            modelId: model.id,
            version: number,
            stage,
            description: input.metadata.description,
            framework: signature.framework,
            inputs: signature.inputs,
            outputs: signature.outputs,
            labels: input.metadata.labels,
            metrics: input.metadata.metrics,
            params: input.metadata.params,
            source: input.source ?? null,
            sha256,
            sizeBytes: artifactSize(input.files),
            artifactKey,
            createdBy: input.createdBy ?? principalOf(actor),
            deprecatedAt: null,
            sunsetAt: null,
            successorVersion: null,
          },
          tx,
        );
        await this.versions.addTransition(
          {
            versionId: row.id,
            fromStage: null,
            toStage: stage,
            actorId: actor?.caller.id ?? null,
            actor: row.createdBy,
            reason: input.reason ?? null,
            requestId: actor?.requestId ?? null,
          },
          tx,
        );
        await this.audit.record(
          {
            action: 'model-version.created',
            actor,
            targetType: 'model-version',
            targetId: row.id,
            details: { model: name, version: row.version, stage, sha256: row.sha256, sizeBytes: row.sizeBytes, source: row.source },
          },
          tx,
        );
        await this.outbox.add(
          'model.version.created',
          { model: name, version: row.version, stage, sha256: row.sha256, sizeBytes: row.sizeBytes, createdBy: row.createdBy },
          tx,
        );
        if (input.trainingProfile) {
          const { profile, datasetId } = input.trainingProfile;
          await this.profiles.save({ versionId: row.id, profile, source: 'training', datasetId, createdBy: row.createdBy }, tx);
        }
        production = await this.versions.findProduction(model.id, tx);
        return row;
      });
    } catch (error) {
      await this.storage.delete(artifactKey).catch((cleanup: unknown) => {
        this.logger.error({ err: cleanup, artifactKey, msg: 'could not delete the artifact of a failed upload' });
      });
      if (error instanceof RegistryWriteConflict) {
        throw new ConcurrentModificationError(`Another change to model "${name}" won a race; retry the upload.`);
      }
      throw error;
    }
    this.events.emit({ type: 'version', modelName: name, version: created.version });
    return { id: created.id, dto: toVersionDto(name, created, production) };
  }

  async list(name: string, query: ListVersionsQueryDto): Promise<Page<ModelVersionDto>> {
    const now = new Date();
    const model = await modelNamed(this.models, name);
    // Filtered on the effective stage: past its sunset, a deprecated version is listed as retired.
    const { rows, total } = await this.versions.list(model.id, { stage: query.stage, now, limit: query.limit, offset: query.offset });
    // One read of production serves every item's signatureChanges.
    const production = await this.versions.findProduction(model.id);
    return toPage(
      rows.map((r) => toVersionDto(name, r, production, now)),
      total,
      query,
    );
  }

  async get(name: string, version: number): Promise<ModelVersionDto> {
    const model = await modelNamed(this.models, name);
    const row = await versionOf(this.versions, model, version);
    return toVersionDto(name, row, await this.versions.findProduction(model.id));
  }

  /**
   * PATCH /v1/models/{name}/versions/{version}: description, labels, and the sunset of a deprecated
   * version, audited with the fields before and after. Under the model's and the version's row locks,
   * as transitions are, so a move of the sunset and a stage change take turns. The registry event
   * afterwards drops every replica's cached copy of the version: serving sends the new Sunset at once.
   */
  async update(name: string, version: number, dto: UpdateVersionDto, ifMatch: string | undefined, actor: Actor): Promise<ModelVersionDto> {
    const now = new Date();
    const updated = await this.transactions.run(async (tx) => {
      const model = await lockModelNamed(this.models, name, tx);
      const row = await lockVersionOf(this.versions, model, version, tx);
      // Production cannot change meanwhile: promotions take the model's row lock held here.
      const production = await this.versions.findProduction(model.id, tx);
      const current = etagOf(toVersionDto(name, row, production, now));
      if (!ifMatchSatisfied(ifMatch, current)) throw new PreconditionFailedError(current);
      const request = { description: dto.description, labels: dto.labels, sunsetAt: dto.sunsetAt ? new Date(dto.sunsetAt) : undefined };
      const plan = planVersionUpdate(row, request, now);
      await this.versions.updateDetails(row.id, plan.changes, tx);
      await this.audit.record(
        {
          action: 'model-version.updated',
          actor,
          targetType: 'model-version',
          targetId: row.id,
          details: { model: name, version, before: plan.before, after: plan.after },
        },
        tx,
      );
      return toVersionDto(name, await versionOf(this.versions, model, version, tx), production, now);
    });
    this.events.emit({ type: 'version', modelName: name, version });
    return updated;
  }

  /** The artifact as a reproducible .tar.gz (same bytes on every download of a version). */
  async download(name: string, version: number): Promise<ArtifactDownload> {
    const row = await versionOf(this.versions, await modelNamed(this.models, name), version);
    const files = await this.storage.get(row.artifactKey);
    return { filename: `${name}-v${version}.tar.gz`, data: await artifactTarball(files), sha256: row.sha256 };
  }

  private async modelFor(tx: Transaction, name: string, options: RegisterOptions, actor: Actor | null): Promise<ModelEntity> {
    try {
      return await modelNamed(this.models, name, tx);
    } catch (error) {
      if (!(error instanceof ModelNotFoundError) || !options.createModel) throw error;
    }
    if (!MODEL_NAME_PATTERN.test(name)) {
      throw new ValidationFailedError([{ field: 'modelName', message: `model names must match ${MODEL_NAME_PATTERN.source}` }]);
    }
    // Two trainings finishing together both "create" the model; one insert wins, the other finds it.
    const createdId = await this.models.insertIfAbsent(name, options.createModel.task ?? null, tx);
    if (createdId) {
      await this.audit.record(
        { action: 'model.created', actor, targetType: 'model', targetId: createdId, details: { model: name, implicit: true } },
        tx,
      );
    }
    return modelNamed(this.models, name, tx);
  }
}
