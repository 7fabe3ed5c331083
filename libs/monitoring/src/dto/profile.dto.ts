import { ApiProperty } from '@nestjs/swagger';
import { FeatureProfileDto } from './put-profile.dto';

export class PredictionProfileViewDto {
  @ApiProperty({ enum: ['classes', 'values'], description: 'Class shares (classifiers) or value bins (one number per row)' })
  kind: 'classes' | 'values';

  @ApiProperty({ type: [String], required: false })
  classes?: string[];

  @ApiProperty({ type: [Number], required: false })
  shares?: number[];

  @ApiProperty({ type: [Number], required: false })
  binEdges?: number[];

  @ApiProperty({ type: [Number], required: false })
  binShares?: number[];
}

/** A version's reference distribution. */
export class ProfileDto {
  @ApiProperty({ example: 'iris' })
  model: string;

  @ApiProperty({ type: 'integer', example: 3 })
  version: number;

  @ApiProperty({ enum: ['training', 'dataset', 'statistics'], description: 'Kept from its training split, built from a dataset, or given' })
  source: 'training' | 'dataset' | 'statistics';

  @ApiProperty({ type: 'integer', example: 1, description: 'Grows with each replacement; drift counts restart with it' })
  revision: number;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  datasetId: string | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Rows it was computed from (null when given as statistics)' })
  rows: number | null;

  @ApiProperty({ type: [FeatureProfileDto] })
  features: FeatureProfileDto[];

  @ApiProperty({ type: PredictionProfileViewDto, nullable: true })
  predictions: PredictionProfileViewDto | null;

  @ApiProperty({ example: 'user:5b0f…' })
  createdBy: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
