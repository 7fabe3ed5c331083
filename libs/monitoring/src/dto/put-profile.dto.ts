import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsNumber,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/** Bins a feature may have in a profile given directly (computed profiles have 10). */
export const MAX_PROFILE_BINS = 100;
/** The DTO's hard cap on features (DRIFT_MAX_FEATURES, lower, is checked after). */
const MAX_FEATURES = 100_000;
const number = { allowNaN: false, allowInfinity: false };

export class FeatureProfileDto {
  @ApiProperty({ example: 'sepal_length', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiProperty({
    type: [Number],
    example: [4.3, 4.8, 5, 5.3, 5.6, 5.8, 6.1, 6.3, 6.5, 6.9, 7.9],
    description:
      'Ascending quantile edges: bins + 1 (the 0 %, 10 %, …, 100 % quantiles), or bins − 1 (inner cut points only), or bins (each bin’s upper edge). The outer bins reach to ±∞ when counting; a value on an edge counts in the lower bin.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PROFILE_BINS + 1)
  @IsNumber(number, { each: true })
  binEdges: number[];

  @ApiProperty({
    type: [Number],
    example: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
    description: 'Share of reference rows per bin (sum 1)',
  })
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(MAX_PROFILE_BINS)
  @IsNumber(number, { each: true })
  binShares: number[];

  @ApiProperty({ example: 5.84 })
  @IsNumber(number)
  mean: number;

  @ApiProperty({ example: 0.83, minimum: 0 })
  @IsNumber(number)
  std: number;
}

export class PredictionProfileDto {
  @ApiPropertyOptional({
    type: [String],
    example: ['setosa', 'versicolor', 'virginica'],
    description: 'Classifiers: the classes, in output order',
  })
  @ValidateIf((_, v) => v !== undefined)
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  classes?: string[];

  @ApiPropertyOptional({ type: [Number], example: [0.33, 0.33, 0.34], description: 'Classifiers: share of rows predicted as each class' })
  @ValidateIf((_, v) => v !== undefined)
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsNumber(number, { each: true })
  shares?: number[];

  @ApiPropertyOptional({ type: [Number], description: 'One number per row: quantile edges of the predictions (as a feature’s)' })
  @ValidateIf((_, v) => v !== undefined)
  @IsArray()
  @ArrayMaxSize(MAX_PROFILE_BINS + 1)
  @IsNumber(number, { each: true })
  binEdges?: number[];

  @ApiPropertyOptional({ type: [Number], description: 'One number per row: share of predictions per bin' })
  @ValidateIf((_, v) => v !== undefined)
  @IsArray()
  @ArrayMaxSize(MAX_PROFILE_BINS)
  @IsNumber(number, { each: true })
  binShares?: number[];
}

const oneSource = (what: 'datasetId' | 'features') =>
  ValidateBy({
    name: 'oneProfileSource',
    validator: {
      validate: (_, args) => {
        const o = args?.object as PutProfileDto;
        return (o.datasetId !== undefined) !== (o.features !== undefined);
      },
      defaultMessage: () => `send either datasetId (build the profile from a dataset) or features (the statistics), not both (${what})`,
    },
  });

/** Either a dataset to build the profile from, or the profile's statistics. */
export class PutProfileDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Build the profile from this dataset (its columns, and the version’s predictions on its rows)',
  })
  @ValidateIf((o: PutProfileDto) => o.datasetId !== undefined || o.features === undefined)
  @oneSource('datasetId')
  @IsUUID()
  datasetId?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
    description:
      "With datasetId: the dataset's columns in the version's input order (default: the version's feature names, else the dataset's numeric columns in order)",
  })
  @ValidateIf((_, v) => v !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_FEATURES)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  columns?: string[];

  @ApiPropertyOptional({ type: [FeatureProfileDto], description: 'The statistics, one entry per input column in order' })
  @ValidateIf((o: PutProfileDto) => o.features !== undefined)
  @oneSource('features')
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_FEATURES)
  @ValidateNested({ each: true })
  @Type(() => FeatureProfileDto)
  features?: FeatureProfileDto[];

  @ApiPropertyOptional({
    type: PredictionProfileDto,
    description: 'With features: the distribution of the version’s predictions on the reference data',
  })
  @ValidateIf((_, v) => v !== undefined)
  @ValidateNested()
  @Type(() => PredictionProfileDto)
  predictions?: PredictionProfileDto;
}
