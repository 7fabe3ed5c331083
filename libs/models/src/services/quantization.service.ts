import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '@app/common';
import { InferenceRuntime, quantizeAndCompare } from '@app/inference';
import { ModelVersionDto } from '../dto/model-version.dto';
import { QuantizationDtype } from '../dto/quantize.dto';
import { effectiveStage } from '../domain/lifecycle';
import { ModelVersionRetiredError } from '../domain/registry-errors';
import { ARTIFACT_STORAGE, ArtifactStorage } from '../storage/artifact-storage';
import { ModelVersionsService } from './model-versions.service';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { ModelsRepository } from '../repositories/models.repository';
import { modelNamed, versionOf } from './lookups';

/** Rows in the deterministic comparison sample, and the seed of its N(0,1) generator. */
export const QUANTIZATION_SAMPLE = { rows: 256, seed: 42, distribution: 'normal(0,1)' } as const;

/**
 * Quantized copies of a version (smaller weights, faster downloads and loads) as new draft
 * versions, with the price paid in accuracy measured on a fixed sample and kept in their metrics.
 */
@Injectable()
export class QuantizationService {
  constructor(
    private readonly models: ModelsRepository,
    private readonly versionRows: ModelVersionsRepository,
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
    private readonly runtime: InferenceRuntime,
    private readonly versions: ModelVersionsService,
  ) {}

  async quantize(name: string, version: number, dtype: QuantizationDtype, actor: Actor): Promise<ModelVersionDto> {
    const source = await versionOf(this.versionRows, await modelNamed(this.models, name), version);
    if (effectiveStage(source) === 'retired') throw new ModelVersionRetiredError(name, version, 'conflict');
    const files = await this.storage.get(source.artifactKey);
    const report = await quantizeAndCompare(this.runtime, files, dtype, {
      sampleSize: QUANTIZATION_SAMPLE.rows,
      seed: QUANTIZATION_SAMPLE.seed,
    });
    const registered = await this.versions.register(
      name,
      {
        files: report.files,
        stage: 'draft',
        reason: `${dtype} quantization of version ${version}`,
        source: { quantizedFromVersion: version, dtype },
        metadata: {
          description: `${dtype} quantization of version ${version}`,
          labels: source.labels,
          params: source.params,
          metrics: {
            quantization: {
              dtype,
              sourceVersion: version,
              sizeBytesBefore: report.sizeBytesBefore,
              sizeBytesAfter: report.sizeBytesAfter,
              maxAbsDiff: report.maxAbsDiff,
              meanAbsDiff: report.meanAbsDiff,
              sample: { rows: report.sampleRows, seed: QUANTIZATION_SAMPLE.seed, distribution: QUANTIZATION_SAMPLE.distribution },
            },
          },
        },
      },
      actor,
    );
    return registered.dto;
  }
}
