import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '@app/common';
import { JOB_STATUSES, JobStatus } from '../entities/training-job.entity';

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
