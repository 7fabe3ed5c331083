import { ApiProperty } from '@nestjs/swagger';

/* The evaluation report of a succeeded job (and of its version, as metrics.report), for OpenAPI. */

export class ClassMetricsDto {
  @ApiProperty({ example: 'versicolor' })
  class: string;

  @ApiProperty({ example: 0.93, description: 'Of the validation rows predicted as this class, the share that are (0 when none is)' })
  precision: number;

  @ApiProperty({ example: 0.9, description: 'Of the validation rows of this class, the share predicted as it (0 when there is none)' })
  recall: number;

  @ApiProperty({ example: 0.915, description: 'Harmonic mean of precision and recall (0 when both are 0)' })
  f1: number;

  @ApiProperty({ example: 31, description: 'Validation rows of this class' })
  support: number;
}

export class AveragedMetricsDto {
  @ApiProperty({ example: 0.94 })
  precision: number;

  @ApiProperty({ example: 0.94 })
  recall: number;

  @ApiProperty({ example: 0.94 })
  f1: number;
}

/** What every report says about the rows it was computed from. */
class ReportRowsDto {
  @ApiProperty({
    required: false,
    example: 38,
    description:
      'Dataset rows dropped before the split because their target is missing (absent on reports of jobs run before missing targets were allowed)',
  })
  rowsWithoutTarget?: number;
}

export class ClassificationReportDto extends ReportRowsDto {
  @ApiProperty({
    type: [String],
    example: ['setosa', 'versicolor', 'virginica'],
    description: 'The order of the matrix’s rows and columns',
  })
  classes: string[];

  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: { type: 'integer' } },
    example: [
      [30, 0, 0],
      [0, 28, 3],
      [0, 2, 33],
    ],
    description: 'Counts of validation rows: row = true class, column = predicted class, both in `classes` order',
  })
  confusionMatrix: number[][];

  @ApiProperty({ type: [ClassMetricsDto] })
  perClass: ClassMetricsDto[];

  @ApiProperty({ type: AveragedMetricsDto, description: 'Unweighted mean over the classes' })
  macro: AveragedMetricsDto;

  @ApiProperty({ type: AveragedMetricsDto, description: 'Mean over the classes weighted by support' })
  weighted: AveragedMetricsDto;

  @ApiProperty({ example: 0.947 })
  accuracy: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: null,
    description:
      'Two classes: area under the ROC curve of the second class’s probability (the positive class); null with more classes or when the split holds one class',
  })
  rocAuc: number | null;
}

export class ResidualQuantilesDto {
  @ApiProperty({ example: -0.41 })
  p5: number;

  @ApiProperty({ example: -0.12 })
  p25: number;

  @ApiProperty({ example: 0.01 })
  p50: number;

  @ApiProperty({ example: 0.13 })
  p75: number;

  @ApiProperty({ example: 0.44 })
  p95: number;
}

export class RegressionReportDto extends ReportRowsDto {
  @ApiProperty({ example: 0.2, description: 'Mean absolute error' })
  mae: number;

  @ApiProperty({ example: 0.26, description: 'Root mean squared error' })
  rmse: number;

  @ApiProperty({ example: 0.97, description: 'Coefficient of determination' })
  r2: number;

  @ApiProperty({ type: ResidualQuantilesDto, description: 'Quantiles of actual − predicted (linear interpolation)' })
  residualQuantiles: ResidualQuantilesDto;
}
