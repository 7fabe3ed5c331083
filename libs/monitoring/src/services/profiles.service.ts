import { Injectable } from '@nestjs/common';
import { Actor, InjectConfig, ValidationFailedError } from '@app/common';
import { inferenceConfig, type InferenceConfig } from '@app/inference';
import {
  argmaxRows,
  assertNotEncoded,
  profileClasses,
  profiledWidth,
  ProfileNotApplicableError,
  profileFeature,
  profileValues,
  type PredictionProfile,
  type ProfiledVersion,
  type ProfileLimits,
  type StoredProfile,
  type VersionProfile,
  VersionProfilesService,
} from '@app/models';
import { PredictionService } from '@app/predictions';
import { DatasetsService, readDataset } from '@app/training';
import { monitoringConfig, type MonitoringConfig } from '../monitoring.config';
import { DriftRecorder } from './drift-recorder';
import type { ProfileDto } from '../dto/profile.dto';
import type { PutProfileDto } from '../dto/put-profile.dto';

/** Rows run through the model per call when profiling its predictions. */
const PREDICT_CHUNK_ROWS = 256;

/**
 * Profiles for versions not trained here: built from a dataset (its columns' quantile bins, and the
 * version's own predictions on the same rows), or given as statistics.
 */
@Injectable()
export class ProfilesService {
  constructor(
    private readonly profiles: VersionProfilesService,
    private readonly datasets: DatasetsService,
    private readonly predictions: PredictionService,
    private readonly recorder: DriftRecorder,
    @InjectConfig(monitoringConfig) private readonly config: MonitoringConfig,
    @InjectConfig(inferenceConfig) private readonly inference: InferenceConfig,
  ) {}

  private get limits(): ProfileLimits {
    return { maxFeatures: this.config.maxFeatures, maxBins: 100 };
  }

  /** GET /v1/models/{name}/versions/{version}/profile */
  async get(name: string, number: number): Promise<ProfileDto> {
    const version = await this.profiles.version(name, number);
    return toProfileDto(version, await this.profiles.require(version));
  }

  /** PUT /v1/models/{name}/versions/{version}/profile */
  async put(name: string, number: number, body: PutProfileDto, actor: Actor): Promise<ProfileDto> {
    const version = await this.profiles.version(name, number);
    const stored = body.datasetId
      ? await this.fromDataset(version, body.datasetId, body.columns, actor)
      : await this.profiles.save(version, statisticsOf(body), 'statistics', null, this.limits, actor);
    this.recorder.invalidate(version.id);
    return toProfileDto(version, stored);
  }

  private async fromDataset(
    version: ProfiledVersion,
    datasetId: string,
    asked: string[] | undefined,
    actor: Actor,
  ): Promise<StoredProfile> {
    assertNotEncoded(version);
    const width = profiledWidth(version.inputs);
    await this.datasets.visible(datasetId, actor);
    const file = await this.datasets.readFile(datasetId);
    const contents = await readDataset(file.data, { format: file.dataset.format, collect: true });
    if (!contents.rows) throw new ProfileNotApplicableError('The dataset has no rows to build a profile from.');
    const numeric = contents.columns.filter((c) => c.type === 'number').map((c) => c.name);
    const columns = asked ?? version.featureNames ?? numeric.slice(0, width);
    const problems = columns.flatMap((name, i) => {
      const column = contents.columns.find((c) => c.name === name);
      if (!column) return [{ field: `columns[${i}]`, message: `the dataset has no column '${name}'` }];
      if (column.type !== 'number')
        return [{ field: `columns[${i}]`, message: `'${name}' is a ${column.type} column; a profile needs numbers` }];
      return [];
    });
    if (problems.length) throw new ValidationFailedError(problems, 'The columns do not fit the dataset.', 'unprocessable');
    if (columns.length !== width) {
      throw new ProfileNotApplicableError(
        `Version ${version.version} takes ${width} features per row; ${asked ? 'the columns name' : 'the dataset offers'} ${columns.length}` +
          (asked ? '.' : ' numeric columns: name them with `columns`.'),
      );
    }

    const values = columns.map((name) => contents.values![contents.columns.findIndex((c) => c.name === name)] as (number | null)[]);
    // Rows with an empty cell in a profiled column cannot be sent to a version of plain numeric
    // inputs: the profile is built from the complete rows.
    const complete = Int32Array.from({ length: contents.rows }, (_, r) => r).filter((r) => values.every((column) => column[r] !== null));
    if (!complete.length) throw new ProfileNotApplicableError('The dataset has no row without an empty cell in the profiled columns.');
    // An even sample beyond PROFILE_MAX_ROWS: the work of a profile is bounded whatever the dataset's size.
    const rows = sampleRows(complete.length, this.config.profileMaxRows).map((i) => complete[i]);
    const features = columns.map((name, j) =>
      profileFeature(
        version.featureNames?.[j] ?? name,
        Float64Array.from(rows, (r) => values[j][r]!),
      ),
    );
    const profile: VersionProfile = { features, predictions: await this.predictionProfile(version, values, rows), rows: rows.length };
    return this.profiles.save(version, profile, 'dataset', datasetId, this.limits, actor);
  }

  /** How the version answers the sampled rows: class shares or value bins (null for other outputs). */
  private async predictionProfile(
    version: ProfiledVersion,
    values: (number | null)[][],
    rows: Int32Array,
  ): Promise<PredictionProfile | null> {
    const [output] = version.outputs;
    if (version.outputs.length !== 1 || output.shape.length !== 2 || output.datatype === 'BYTES') return null;
    const width = output.shape[1];
    if (!(width >= 1)) return null;
    const scores: number[] = [];
    const chunk = Math.min(PREDICT_CHUNK_ROWS, this.inference.maxRowsPerRequest);
    const predict = await this.predictions.internalPredictor(version.modelName, version.version);
    for (let start = 0; start < rows.length; start += chunk) {
      const batch = Array.from(rows.subarray(start, start + chunk), (r) => values.map((column) => column[r]));
      const outputs = await predict(batch);
      for (const row of outputs[0] as number[][]) scores.push(...row);
    }
    if (width === 1) return profileValues(scores);
    const classes = version.labels?.length === width ? version.labels : Array.from({ length: width }, (_, k) => String(k));
    return profileClasses(classes, argmaxRows(scores, width));
  }
}

/** `count` row indexes spread evenly over `total` rows (all of them when there are no more). */
function sampleRows(total: number, count: number): Int32Array {
  if (total <= count) return Int32Array.from({ length: total }, (_, i) => i);
  return Int32Array.from({ length: count }, (_, i) => Math.floor((i * total) / count));
}

function statisticsOf(body: PutProfileDto): VersionProfile {
  const p = body.predictions;
  let predictions: PredictionProfile | null = null;
  if (p?.classes) predictions = { kind: 'classes', classes: p.classes, shares: p.shares ?? [] };
  else if (p?.binShares) predictions = { kind: 'values', binEdges: p.binEdges ?? [], binShares: p.binShares };
  else if (p) {
    throw new ValidationFailedError([
      { field: 'predictions', message: 'give classes with shares (a classifier), or binEdges with binShares (one number per row)' },
    ]);
  }
  return {
    features: (body.features ?? []).map((f) => ({ name: f.name, binEdges: f.binEdges, binShares: f.binShares, mean: f.mean, std: f.std })),
    predictions,
    rows: null,
  };
}

function toProfileDto(version: ProfiledVersion, stored: StoredProfile): ProfileDto {
  return {
    model: version.modelName,
    version: version.version,
    source: stored.source,
    revision: stored.revision,
    datasetId: stored.datasetId,
    rows: stored.profile.rows,
    features: stored.profile.features,
    predictions: stored.profile.predictions,
    createdBy: stored.createdBy,
    createdAt: stored.createdAt.toISOString(),
  };
}
