import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '@app/common';
import { COMPLETION_REASONS, type CompletionReason } from '../../trainer/training-spec';
import { JOB_STATUSES, JobStatus } from '../entities/training-job.entity';
import { ClassificationReportDto, RegressionReportDto } from './evaluation-report.dto';

export class JobProgressDto {
  @ApiProperty({ example: 12, description: 'Epochs completed' })
  epoch: number;

  @ApiProperty({ example: 30 })
  epochs: number;
}

export class EpochRecordDto {
  @ApiProperty({ example: 1 })
  epoch: number;

  @ApiProperty({ example: 0.41 })
  loss: number;

  @ApiProperty({ example: 0.39 })
  valLoss: number;

  @ApiPropertyOptional({ example: 0.93, description: 'classification' })
  accuracy?: number;

  @ApiPropertyOptional({ example: 0.95, description: 'classification' })
  valAccuracy?: number;

  @ApiPropertyOptional({ example: 0.2, description: 'regression (mean absolute error)' })
  mae?: number;

  @ApiPropertyOptional({ example: 0.21, description: 'regression' })
  valMae?: number;

  @ApiProperty({ example: 35.2, description: 'Wall time of the epoch' })
  durationMs: number;
}

@ApiExtraModels(ClassificationReportDto, RegressionReportDto)
export class TrainingJobDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: JOB_STATUSES })
  status: JobStatus;

  @ApiProperty({ example: 'iris' })
  modelName: string;

  @ApiProperty({ format: 'uuid' })
  datasetId: string;

  @ApiProperty({ enum: ['classification', 'regression'] })
  task: string;

  @ApiProperty({ type: [String] })
  features: string[];

  @ApiProperty({ example: 'species' })
  target: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { hiddenLayers: [16], activation: 'relu', dropout: 0 },
    description: 'As resolved (defaults filled in)',
  })
  architecture: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { epochs: 30, batchSize: 32, learningRate: 0.01, validationSplit: 0.2, seed: 42 },
    description: 'As resolved: defaults filled in, and the seed drawn when none was given',
  })
  hyperparameters: Record<string, unknown>;

  @ApiProperty({ type: JobProgressDto })
  progress: JobProgressDto;

  @ApiProperty({ type: [EpochRecordDto] })
  history: EpochRecordDto[];

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { loss: 0.12, accuracy: 0.97, trainLoss: 0.1, trainAccuracy: 0.98, trainingRows: 480, validationRows: 120 },
    description: 'Once succeeded: measured on the validation split (train* on the training split)',
  })
  metrics: Record<string, number> | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 18,
    description: 'Once succeeded: the last epoch run. With early stopping, metrics.bestEpoch is the epoch whose weights were kept',
  })
  stoppedEpoch: number | null;

  @ApiProperty({
    // null among the values too: generated clients read a nullable enum from them.
    enum: [...COMPLETION_REASONS, null],
    nullable: true,
    example: 'early-stopping',
    description: 'Once succeeded: early-stopping (the validation loss stopped improving) or epochs (every epoch ran)',
  })
  stopReason: CompletionReason | null;

  @ApiProperty({
    oneOf: [{ $ref: getSchemaPath(ClassificationReportDto) }, { $ref: getSchemaPath(RegressionReportDto) }],
    nullable: true,
    description: 'Once succeeded: the evaluation report on the validation split (also the version’s metrics.report)',
  })
  report: ClassificationReportDto | RegressionReportDto | null;

  @ApiProperty({ type: Number, nullable: true, example: 3, description: 'The version of modelName this job registered' })
  modelVersion: number | null;

  @ApiProperty({ type: String, nullable: true })
  error: string | null;

  @ApiProperty({ example: 1, description: 'Runs started; a job whose worker died is retried once' })
  attempts: number;

  @ApiProperty({ example: false, description: 'A cancel was asked for; the job ends cancelled within one epoch' })
  cancelRequested: boolean;

  @ApiProperty({ example: 'ada@example.com' })
  createdBy: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt: string | null;
}

export class TrainingJobIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id must be a UUID' })
  id: string;
}

export class ListTrainingJobsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional()
  @IsIn(JOB_STATUSES)
  status?: JobStatus;
}
