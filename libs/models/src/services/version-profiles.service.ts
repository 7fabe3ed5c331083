import { encodingOf, isPlainEncoding } from '../domain/feature-encoding';
import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@app/audit';
import { Actor, ValidationFailedError } from '@app/common';
import { Transaction, UnitOfWork } from '@app/database';
import type { TensorSpec } from '@app/inference';
import { type ProfileLimits, profileProblems, type ProfileSource, type VersionProfile } from '../domain/feature-profile';
import { principalOf } from '../domain/principal';
import { ProfileNotApplicableError, ProfileNotFoundError } from '../domain/registry-errors';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { ModelsRepository } from '../repositories/models.repository';
import { StoredProfile, VersionProfilesRepository } from '../repositories/version-profiles.repository';
import { modelNamed, versionOf } from './lookups';

/** The version a profile is about, with what checking a profile against it needs. */
export interface ProfiledVersion {
  id: string;
  modelName: string;
  version: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  labels: string[] | null;
  featureNames: string[] | null;
  /** Trained on a table with categories or missing values: its input is encoded (no drift profile yet). */
  encoded?: boolean;
}

/**
 * Versions' reference distributions: kept from training (with the version, in its transaction) or
 * set by an ML engineer. Drift (@app/monitoring) reads them through this service.
 */
@Injectable()
export class VersionProfilesService {
  constructor(
    private readonly models: ModelsRepository,
    private readonly versions: ModelVersionsRepository,
    private readonly profiles: VersionProfilesRepository,
    private readonly transactions: UnitOfWork,
    private readonly audit: AuditTrail,
  ) {}

  /** The version by name and number (404s as the registry's), for profiling and drift. */
  async version(name: string, number: number): Promise<ProfiledVersion> {
    const model = await modelNamed(this.models, name);
    const v = await versionOf(this.versions, model, number);
    const names = v.params?.features;
    return {
      id: v.id,
      modelName: model.name,
      version: v.version,
      inputs: v.inputs,
      outputs: v.outputs,
      labels: v.labels,
      featureNames: Array.isArray(names) && names.every((n) => typeof n === 'string') ? (names as string[]) : null,
      encoded: isEncoded(v.params),
    };
  }

  find(versionId: string): Promise<StoredProfile | null> {
    return this.profiles.find(versionId);
  }

  /** The version's profile, or 404 PROFILE_NOT_FOUND. */
  async require(version: ProfiledVersion): Promise<StoredProfile> {
    const stored = await this.profiles.find(version.id);
    if (!stored) throw new ProfileNotFoundError(version.modelName, version.version);
    return stored;
  }

  /** Checks a profile against the limits and the version's signature, then stores it (audited). */
  async save(
    version: ProfiledVersion,
    profile: VersionProfile,
    source: ProfileSource,
    datasetId: string | null,
    limits: ProfileLimits,
    actor: Actor,
  ): Promise<StoredProfile> {
    assertProfileFits(version, profile, limits);
    return this.transactions.run(async (tx) => {
      const stored = await this.store(version.id, profile, source, datasetId, principalOf(actor), tx);
      await this.audit.record(
        {
          action: 'model-version.profile-set',
          actor,
          targetType: 'model-version',
          targetId: version.id,
          details: { model: version.modelName, version: version.version, source, datasetId, revision: stored.revision },
        },
        tx,
      );
      return stored;
    });
  }

  /** Within the registering transaction (training keeps its profile with the version). */
  store(versionId: string, profile: VersionProfile, source: ProfileSource, datasetId: string | null, createdBy: string, tx: Transaction) {
    return this.profiles.save({ versionId, profile, source, datasetId, createdBy }, tx);
  }
}

/** The width of the one input drift is measured on, or why the version has none. */
export function profiledWidth(inputs: readonly TensorSpec[]): number {
  const [input] = inputs;
  if (inputs.length !== 1 || input.datatype === 'BYTES' || input.datatype === 'BOOL' || input.shape.length !== 2 || input.shape[1] < 1) {
    throw new ProfileNotApplicableError(
      'Drift is measured on models with one numeric input of shape [batch, features]; this version has ' +
        inputs.map((i) => `${i.name} ${i.datatype} [${i.shape.join(', ')}]`).join(', ') +
        '.',
    );
  }
  return input.shape[1];
}

function isEncoded(params: Record<string, unknown>): boolean {
  const encoding = encodingOf(params);
  return encoding !== null && !isPlainEncoding(encoding);
}

/** A version whose rows serving encodes (categories, missing values) has no numeric input to profile (422). */
export function assertNotEncoded(version: ProfiledVersion): void {
  if (!version.encoded) return;
  throw new ProfileNotApplicableError(
    `Version ${version.version} was trained on categories or missing values: serving encodes its rows, and drift is measured on numeric inputs only (not yet on encoded ones).`,
  );
}

/** A profile's features must be the input's columns, in order (and named as the version names them). */
export function assertProfileFits(version: ProfiledVersion, profile: VersionProfile, limits: ProfileLimits): void {
  assertNotEncoded(version);
  const problems = profileProblems(profile, limits);
  if (problems.length) throw new ValidationFailedError(problems, 'The profile is not valid.', 'unprocessable');
  const width = profiledWidth(version.inputs);
  if (profile.features.length !== width) {
    throw new ProfileNotApplicableError(
      `The profile has ${profile.features.length} features; version ${version.version} takes ${width} per row.`,
    );
  }
  const names = version.featureNames;
  if (names && profile.features.some((f, i) => f.name !== names[i])) {
    throw new ProfileNotApplicableError(`The profile's features must be the version's, in order: ${names.join(', ')}.`);
  }
  const p = profile.predictions;
  const output = version.outputs.length === 1 ? version.outputs[0] : undefined;
  const width0 = output?.shape.length === 2 ? output.shape[1] : undefined;
  if (p?.kind === 'classes' && p.classes.length !== width0) {
    throw new ProfileNotApplicableError(
      `The prediction profile has ${p.classes.length} classes; the version answers ${width0 ?? 'no'} scores per row.`,
    );
  }
  if (p?.kind === 'values' && width0 !== 1) {
    throw new ProfileNotApplicableError('A prediction profile of values needs a version answering one number per row.');
  }
}
