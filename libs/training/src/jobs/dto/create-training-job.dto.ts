import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsBoolean,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { MODEL_NAME_PATTERN } from '@app/models';
import { DISTINCT_CAP } from '../../datasets/dataset-format';
import { ACTIVATIONS, Activation, ClassWeight, OPTIMIZERS, OptimizerName, TrainingTask } from '../../trainer/training-spec';

/*
 * Shapes and types are checked here (400); the limits that depend on the configuration
 * (TRAINING_MAX_*) and on the dataset (columns, their types, row count) by the service (422).
 */

export class ArchitectureDto {
  @ApiProperty({ type: [Number], example: [16, 8], description: 'Units of each hidden dense layer, input side first (may be empty)' })
  @IsArray()
  @ArrayMaxSize(1000)
  @IsInt({ each: true })
  @Min(1, { each: true })
  hiddenLayers: number[];

  @ApiPropertyOptional({ enum: ACTIVATIONS, default: 'relu' })
  @IsOptional()
  @IsIn(ACTIVATIONS)
  activation?: Activation;

  @ApiPropertyOptional({ minimum: 0, maximum: 0.9, default: 0, description: 'Dropout rate after each hidden layer' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(0.9)
  dropout?: number;
}

export class EarlyStoppingDto {
  @ApiProperty({ minimum: 1, example: 5, description: 'Epochs in a row without improvement of the validation loss before training stops' })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  patience: number;

  @ApiPropertyOptional({
    minimum: 0,
    default: 0,
    example: 0.001,
    description: 'An epoch improves when its validation loss is below the best so far by more than this',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  minDelta?: number;
}

/** What is wrong with a classWeight value, or undefined when it is "balanced" or a map of class names to positive numbers. */
function classWeightProblem(value: unknown): string | undefined {
  if (value === 'balanced') return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'classWeight must be "balanced" or an object of class names to positive weights';
  const entries = Object.entries(value);
  if (entries.length === 0) return 'classWeight must name at least one class';
  if (entries.length > DISTINCT_CAP) return `classWeight may name at most ${DISTINCT_CAP} classes`;
  const bad = entries.find(([, w]) => typeof w !== 'number' || !Number.isFinite(w) || w <= 0);
  return bad ? `classWeight of class '${bad[0]}' must be a positive number` : undefined;
}

const IsClassWeight = () =>
  ValidateBy({
    name: 'isClassWeight',
    validator: {
      validate: (value) => classWeightProblem(value) === undefined,
      defaultMessage: (args) => classWeightProblem(args?.value) ?? 'classWeight is not valid',
    },
  });

export class HyperparametersDto {
  @ApiProperty({ minimum: 1, example: 30, description: 'At most TRAINING_MAX_EPOCHS' })
  @IsInt()
  @Min(1)
  epochs: number;

  @ApiPropertyOptional({ minimum: 1, default: 32, description: 'At most TRAINING_MAX_BATCH_SIZE' })
  @IsOptional()
  @IsInt()
  @Min(1)
  batchSize?: number;

  @ApiPropertyOptional({ minimum: 1e-7, maximum: 10, default: 0.01, description: "The optimizer's learning rate" })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1e-7)
  @Max(10)
  learningRate?: number;

  @ApiPropertyOptional({
    minimum: 0.01,
    maximum: 0.9,
    default: 0.2,
    description: 'Share of rows held out for validation; the final metrics are measured on it',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.01)
  @Max(0.9)
  validationSplit?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 2147483647,
    description: 'Makes the run reproducible (same metrics on the same backend). Drawn at random, and recorded, when absent.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  seed?: number;

  @ApiPropertyOptional({ enum: OPTIMIZERS, default: 'adam', description: 'sgd is SGD with momentum 0.9' })
  @IsOptional()
  @IsIn(OPTIMIZERS)
  optimizer?: OptimizerName;

  @ApiPropertyOptional({
    type: EarlyStoppingDto,
    description:
      "Stop once the validation loss has not improved by more than minDelta for patience epochs; the best epoch's weights are restored before the version is measured and saved",
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => EarlyStoppingDto)
  earlyStopping?: EarlyStoppingDto;

  @ApiPropertyOptional({
    oneOf: [
      { type: 'string', enum: ['balanced'] },
      { type: 'object', additionalProperties: { type: 'number', minimum: 0, exclusiveMinimum: true } },
    ],
    example: 'balanced',
    description:
      'Classification only. "balanced": each class weighs n_samples / (n_classes * its count) on the training split (scikit-learn\'s); ' +
      'or weights by class name (the classes not named weigh 1)',
  })
  @IsOptional()
  @IsClassWeight()
  classWeight?: ClassWeight;

  @ApiPropertyOptional({
    default: false,
    description: 'Numeric features with missing cells in the training split also get a 0/1 "was missing" input',
  })
  @IsOptional()
  @IsBoolean()
  missingIndicator?: boolean;

  @ApiPropertyOptional({
    minimum: 1,
    example: 50,
    description:
      'Values kept per text or boolean feature, most frequent in the training split first (default and upper bound: TRAINING_MAX_CATEGORIES); ' +
      'the rest, and values never seen, share one out-of-vocabulary slot',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  maxCategories?: number;
}

export class CreateTrainingJobDto {
  @ApiProperty({
    example: 'iris',
    pattern: MODEL_NAME_PATTERN.source,
    description: 'Registered as a new version of this model (created if missing)',
  })
  @IsString()
  @Matches(MODEL_NAME_PATTERN, { message: `modelName must match ${MODEL_NAME_PATTERN.source}` })
  modelName: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'datasetId must be a UUID' })
  datasetId: string;

  @ApiProperty({ enum: ['classification', 'regression'] })
  @IsIn(['classification', 'regression'])
  task: TrainingTask;

  @ApiProperty({
    type: [String],
    example: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
    description: 'Numeric columns, in input order',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ArrayUnique({ message: 'features must not repeat a column' })
  @IsString({ each: true })
  @MinLength(1, { each: true })
  features: string[];

  @ApiProperty({ example: 'species', description: 'Classification: a text, boolean or integer column; regression: a numeric column' })
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  target: string;

  @ApiProperty({ type: ArchitectureDto })
  @IsObject()
  @ValidateNested()
  @Type(() => ArchitectureDto)
  architecture: ArchitectureDto;

  @ApiProperty({ type: HyperparametersDto })
  @IsObject()
  @ValidateNested()
  @Type(() => HyperparametersDto)
  hyperparameters: HyperparametersDto;
}
