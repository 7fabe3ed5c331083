import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * TF Serving style request. `instances` is checked against the version's input signature by the
 * service (422 naming the expected shape), not here: its shape depends on the model.
 */
export class PredictRequestDto {
  @ApiProperty({
    description: 'Rows to predict: arrays of numbers, or objects keyed by feature name when the version has named features',
    type: 'array',
    items: {
      oneOf: [
        { type: 'array', items: { type: 'number' } },
        { type: 'object', additionalProperties: { type: 'number' } },
      ],
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

  @ApiProperty({ type: 'array', items: { type: 'array', items: { type: 'number' } }, example: [[0.97, 0.02, 0.01]] })
  predictions: number[][];

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
    enum: ['FP32', 'FP64', 'FP16', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'BOOL'],
    example: 'FP32',
  })
  datatype: string;

  @ApiProperty({ description: 'Flat (row-major) or nested values', type: 'array', items: {}, example: [5.1, 3.5, 1.4, 0.2] })
  data: unknown;
}

export class V2RequestedOutputDto {
  @ApiProperty()
  name: string;
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

  @ApiProperty({ example: 'FP32' })
  datatype: string;

  @ApiProperty({ type: 'array', items: { type: 'number' }, example: [0.97, 0.02, 0.01] })
  data: number[];
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

  @ApiProperty({ type: [String], example: ['model_repository_extension'] })
  extensions: string[];

  @ApiProperty({ description: 'TensorFlow.js backend in use: tensorflow (tfjs-node), wasm or cpu', example: 'wasm' })
  backend: string;
}
