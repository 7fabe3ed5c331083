import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow } from 'class-validator';

const SIGNATURE = 'Serving signature: absent or "serving_default" (the only one a version exposes)';

/** TF Serving predict body (row or columnar format); checked against the version's signature by the service. */
export class TfPredictRequestDto {
  @ApiPropertyOptional({ description: SIGNATURE, example: 'serving_default' })
  @Allow()
  signature_name?: string;

  @ApiPropertyOptional({
    description:
      'Row format: one entry per row (a list of values, an object keyed by input name — required with several inputs — or by feature names); ' +
      'strings or {"b64": "<base64>"} for string inputs',
    type: 'array',
    items: {},
    example: [[5.1, 3.5, 1.4, 0.2]],
  })
  @Allow()
  instances?: unknown;

  @ApiPropertyOptional({
    description: 'Columnar format: the input tensor (rows), or an object of input name → tensor',
    oneOf: [
      { type: 'array', items: {} },
      { type: 'object', additionalProperties: { type: 'array', items: {} } },
    ],
    example: { features: [[5.1, 3.5, 1.4, 0.2]] },
  })
  @Allow()
  inputs?: unknown;
}

export class TfPredictResponseDto {
  @ApiPropertyOptional({
    description: "Row format answer: per row, the output's values, or an object of output name → values with several outputs",
    type: 'array',
    items: {},
    example: [[0.97, 0.02, 0.01]],
  })
  predictions?: unknown;

  @ApiPropertyOptional({
    description: 'Columnar format answer: the output tensor, or an object of output name → tensor with several outputs',
    type: 'array',
    items: {},
    example: [[0.97, 0.02, 0.01]],
  })
  outputs?: unknown;
}

/** TF Serving classify/regress body: examples of named features (versions with `params.features`). */
export class TfExamplesRequestDto {
  @ApiPropertyOptional({ description: `${SIGNATURE}; also "tensorflow/serving/classify" or "tensorflow/serving/regress" on those routes` })
  @Allow()
  signature_name?: string;

  @ApiPropertyOptional({
    description: 'Features shared by every example (merged into each; none may appear in examples too)',
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { petal_width: 0.2 },
  })
  @Allow()
  context?: Record<string, unknown>;

  @ApiProperty({
    description: 'Examples: objects of feature name → value',
    type: 'array',
    items: { type: 'object', additionalProperties: { type: 'number' } },
    example: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4 }],
  })
  @Allow()
  examples: Record<string, unknown>[];
}

export class TfClassifyResponseDto {
  @ApiProperty({
    description: 'Per example, every class as [label, score] ("" when the version has no labels)',
    type: 'array',
    items: { type: 'array', items: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'number' }] } } },
    example: [
      [
        ['setosa', 0.97],
        ['versicolor', 0.02],
        ['virginica', 0.01],
      ],
    ],
  })
  results: [string, number][][];
}

export class TfRegressResponseDto {
  @ApiProperty({ description: 'One value per example', type: [Number], example: [3.5] })
  results: number[];
}

class TfTensorShapeDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'object', properties: { size: { type: 'string' }, name: { type: 'string' } } },
    example: [{ size: '-1', name: '' }],
  })
  dim: { size: string; name: string }[];

  @ApiProperty({ example: false })
  unknown_rank: boolean;
}

class TfTensorInfoDto {
  @ApiProperty({ example: 'DT_FLOAT' })
  dtype: string;

  @ApiProperty({ type: TfTensorShapeDto })
  tensor_shape: TfTensorShapeDto;

  @ApiProperty({ example: 'features:0' })
  name: string;
}

class TfSignatureDefDto {
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/TfTensorInfoDto' } })
  inputs: Record<string, TfTensorInfoDto>;

  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/TfTensorInfoDto' } })
  outputs: Record<string, TfTensorInfoDto>;

  @ApiProperty({ example: 'tensorflow/serving/predict' })
  method_name: string;
}

class TfSignatureDefsDto {
  @ApiProperty({ type: TfSignatureDefDto })
  serving_default: TfSignatureDefDto;
}

class TfSignatureDefMapDto {
  @ApiProperty({ type: TfSignatureDefsDto })
  signature_def: TfSignatureDefsDto;
}

class TfModelMetadataDto {
  @ApiProperty({ type: TfSignatureDefMapDto })
  signature_def: TfSignatureDefMapDto;
}

class TfModelSpecDto {
  @ApiProperty({ example: 'iris' })
  name: string;

  @ApiProperty({ description: 'The version, as a string (as TF Serving writes it)', example: '3' })
  version: string;

  @ApiProperty({ example: 'serving_default' })
  signature_name: string;
}

export class TfMetadataResponseDto {
  @ApiProperty({ type: TfModelSpecDto })
  model_spec: TfModelSpecDto;

  @ApiProperty({ type: TfModelMetadataDto })
  metadata: TfModelMetadataDto;
}

/** Referenced by $ref only: listed so that the schemas exist in the document. */
export const TF_SERVING_EXTRA_MODELS = [TfTensorInfoDto];
