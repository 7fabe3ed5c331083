import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * TF Serving style request. `instances` is checked against the version's input signature by the
 * service (422 naming the expected shape), not here: its shape depends on the model.
 */
export class PredictRequestDto {
  @ApiProperty({
    description:
      'Rows to predict. One input: a list of values (flat, or nested like the input), an object keyed by feature name ' +
      '(versions with named features) or holding the input under its name, or a bare value when a row is one value. ' +
      'Several inputs: an object keyed by input name (an input of one value per row takes `41` or `[41]`). ' +
      'BYTES inputs take strings or `{"b64": "<base64>"}`.',
    type: 'array',
    items: {
      oneOf: [{ type: 'array', items: {} }, { type: 'object', additionalProperties: {} }, { type: 'number' }, { type: 'string' }],
    },
    example: [[5.1, 3.5, 1.4, 0.2]],
  })
  @Allow()
  instances: unknown;
}

export class PredictResponseDto {
  @ApiProperty({ example: 'iris' })
  model: string;

  @ApiProperty({ example: 3 })
  version: number;

  @ApiProperty({
    description: "Per row: the output's values (row-major), or, for a version with several outputs, an object of output name → values",
    type: 'array',
    items: {
      oneOf: [
        { type: 'array', items: { oneOf: [{ type: 'number' }, { type: 'string' }] } },
        { type: 'object', additionalProperties: { type: 'array', items: { oneOf: [{ type: 'number' }, { type: 'string' }] } } },
      ],
    },
    example: [[0.97, 0.02, 0.01]],
  })
  predictions: (number | string)[][] | Record<string, (number | string)[]>[];

  @ApiPropertyOptional({
    type: [String],
    description: 'Predicted class of each row (classification versions with labels)',
    example: ['setosa'],
  })
  labels?: string[];
}

export class V2TensorDto {
  @ApiProperty({ example: 'dense_input' })
  name: string;

  @ApiProperty({ type: [Number], example: [1, 4] })
  shape: number[];

  @ApiProperty({
    enum: ['FP32', 'FP64', 'FP16', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'BOOL', 'BYTES'],
    example: 'FP32',
  })
  datatype: string;

  @ApiPropertyOptional({
    description: 'Flat (row-major) or nested values (BYTES: strings); absent when the tensor travels as binary data',
    type: 'array',
    items: {},
    example: [5.1, 3.5, 1.4, 0.2],
  })
  data: unknown;

  @ApiPropertyOptional({
    description: 'Binary tensor data extension: `binary_data_size`, the bytes of this tensor after the JSON header',
    type: 'object',
    additionalProperties: true,
    example: { binary_data_size: 16 },
  })
  parameters?: Record<string, unknown>;
}

export class V2RequestedOutputParametersDto {
  @ApiPropertyOptional({
    description: 'Classification extension: answer this output as its top k classes, BYTES "<score>:<index>[:<label>]", best first',
    minimum: 1,
    example: 2,
  })
  classification?: number;

  @ApiPropertyOptional({ description: 'Binary tensor data extension: answer this output as raw bytes after the JSON header' })
  binary_data?: boolean;
}

export class V2RequestedOutputDto {
  @ApiProperty()
  name: string;

  @ApiPropertyOptional({ type: V2RequestedOutputParametersDto })
  parameters?: V2RequestedOutputParametersDto;
}

/** Open Inference Protocol infer request; tensors are checked by the service against the model. */
export class V2InferRequestDto {
  @ApiPropertyOptional({ example: 'req-42' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  id?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @Allow()
  parameters?: Record<string, unknown>;

  @ApiProperty({ type: [V2TensorDto] })
  @Allow()
  inputs: V2TensorDto[];

  @ApiPropertyOptional({ type: [V2RequestedOutputDto] })
  @Allow()
  outputs?: V2RequestedOutputDto[];
}

export class V2OutputTensorDto {
  @ApiProperty({ example: 'dense_2' })
  name: string;

  @ApiProperty({ type: [Number], example: [1, 3] })
  shape: number[];

  @ApiProperty({ example: 'FP32', description: "The output's datatype; BYTES for a classification output" })
  datatype: string;

  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ type: 'number' }, { type: 'boolean' }, { type: 'string' }] },
    description: 'Row-major values; for a classification output, strings "<score>:<index>" or "<score>:<index>:<label>"',
    example: [0.97, 0.02, 0.01],
  })
  data: (number | boolean | string)[];
}

export class V2InferResponseDto {
  @ApiProperty({ example: 'iris' })
  model_name: string;

  @ApiProperty({ example: '3' })
  model_version: string;

  @ApiProperty({ example: 'req-42' })
  id: string;

  @ApiProperty({ type: [V2OutputTensorDto] })
  outputs: V2OutputTensorDto[];
}

export class V2TensorMetadataDto {
  @ApiProperty({ example: 'dense_input' })
  name: string;

  @ApiProperty({ example: 'FP32' })
  datatype: string;

  @ApiProperty({ type: [Number], example: [-1, 4] })
  shape: number[];
}

export class V2ModelMetadataDto {
  @ApiProperty({ example: 'iris' })
  name: string;

  @ApiProperty({ type: [String], example: ['1', '2', '3'] })
  versions: string[];

  @ApiProperty({ example: 'tensorflowjs' })
  platform: string;

  @ApiProperty({ type: [V2TensorMetadataDto] })
  inputs: V2TensorMetadataDto[];

  @ApiProperty({ type: [V2TensorMetadataDto] })
  outputs: V2TensorMetadataDto[];
}

export class V2ServerMetadataDto {
  @ApiProperty({ example: 'modelgate' })
  name: string;

  @ApiProperty({ example: '0.1.0' })
  version: string;

  @ApiProperty({ type: [String], description: 'Open Inference Protocol extensions implemented', example: ['classification', 'statistics'] })
  extensions: string[];

  @ApiProperty({ description: 'TensorFlow.js backend in use: tensorflow (tfjs-node), wasm or cpu', example: 'wasm' })
  backend: string;
}

export class V2StatDurationDto {
  @ApiProperty({ description: 'Requests counted', example: 12 })
  count: number;

  @ApiProperty({ description: 'Their cumulative duration in nanoseconds', example: 4_200_000 })
  ns: number;
}

export class V2InferenceStatsDto {
  @ApiProperty({ type: V2StatDurationDto, description: 'Requests answered, and their time from arrival to answer' })
  success: V2StatDurationDto;

  @ApiProperty({
    type: V2StatDurationDto,
    description: 'Requests that failed once the version was resolved (invalid input, a full queue, a model error)',
  })
  fail: V2StatDurationDto;

  @ApiProperty({ type: V2StatDurationDto, description: 'Time requests waited in the dynamic batcher' })
  queue: V2StatDurationDto;

  @ApiProperty({ type: V2StatDurationDto, description: 'Compute time of the batches requests ran in' })
  compute_infer: V2StatDurationDto;
}

export class V2ModelStatsDto {
  @ApiProperty({ example: 'iris' })
  name: string;

  @ApiProperty({ example: '3' })
  version: string;

  @ApiProperty({
    description: 'Milliseconds since the epoch of the last request (0: none on this replica since it started)',
    example: 1767225600000,
  })
  last_inference: number;

  @ApiProperty({ description: 'Rows inferred successfully', example: 40 })
  inference_count: number;

  @ApiProperty({ description: 'Batches run (concurrent requests share a batch)', example: 9 })
  execution_count: number;

  @ApiProperty({ type: V2InferenceStatsDto })
  inference_stats: V2InferenceStatsDto;
}

export class V2ModelStatsResponseDto {
  @ApiProperty({ type: [V2ModelStatsDto] })
  model_stats: V2ModelStatsDto[];
}
