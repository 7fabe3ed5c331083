import { ApiProperty } from '@nestjs/swagger';

const STATUS = {
  enum: ['ok', 'warn', 'alert'],
  nullable: true,
  description: 'ok below PSI 0.1, warn from 0.1, alert from 0.25; null with no served rows',
};

export class FeatureDriftDto {
  @ApiProperty({ example: 'petal_length' })
  name: string;

  @ApiProperty({ type: Number, nullable: true, example: 0.031, description: 'Population stability index over the profile’s quantile bins' })
  psi: number | null;

  @ApiProperty({ example: 3.76 })
  meanTraining: number;

  @ApiProperty({ type: Number, nullable: true, example: 3.81 })
  meanServing: number | null;

  @ApiProperty({ example: 1.76 })
  stdTraining: number;

  @ApiProperty({ type: Number, nullable: true, example: 1.7 })
  stdServing: number | null;

  @ApiProperty({ ...STATUS, type: String })
  status: 'ok' | 'warn' | 'alert' | null;

  @ApiProperty({ type: [Number], description: 'The profile’s share of rows per bin' })
  binShares: number[];

  @ApiProperty({ type: [Number], nullable: true, description: 'Served rows’ share per bin (same bins)' })
  servingShares: number[] | null;
}

export class PredictionDriftDto {
  @ApiProperty({
    type: String,
    enum: ['classes', 'values'],
    nullable: true,
    description: 'null when the profile has no prediction distribution',
  })
  kind: 'classes' | 'values' | null;

  @ApiProperty({ type: [String], nullable: true })
  classes: string[] | null;

  @ApiProperty({ type: [Number], nullable: true, description: 'Share of reference predictions per class or value bin' })
  distributionTraining: number[] | null;

  @ApiProperty({ type: [Number], nullable: true, description: 'Share of served predictions per class or value bin' })
  distributionServing: number[] | null;

  @ApiProperty({ type: Number, nullable: true })
  psi: number | null;

  @ApiProperty({ ...STATUS, type: String })
  status: 'ok' | 'warn' | 'alert' | null;
}

export class DriftProfileSummaryDto {
  @ApiProperty({ enum: ['training', 'dataset', 'statistics'] })
  source: 'training' | 'dataset' | 'statistics';

  @ApiProperty({ type: 'integer' })
  revision: number;

  @ApiProperty({ type: 'integer', nullable: true })
  rows: number | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

/** Serving's data over a window against the version's profile. */
export class DriftReportDto {
  @ApiProperty({ example: 'iris' })
  model: string;

  @ApiProperty({ type: 'integer', example: 3 })
  version: number;

  @ApiProperty({ type: 'integer', example: 60, description: 'Minutes' })
  window: number;

  @ApiProperty({ format: 'date-time' })
  from: string;

  @ApiProperty({ format: 'date-time' })
  to: string;

  @ApiProperty({ type: 'integer', example: 1200, description: 'Served rows counted in the window (every replica)' })
  rows: number;

  @ApiProperty({ type: DriftProfileSummaryDto })
  profile: DriftProfileSummaryDto;

  @ApiProperty({ type: [FeatureDriftDto] })
  features: FeatureDriftDto[];

  @ApiProperty({ type: PredictionDriftDto })
  predictions: PredictionDriftDto;
}
