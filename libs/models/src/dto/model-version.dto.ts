import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STAGES, Stage } from '../domain/lifecycle';
import { ModelVersionStatusDto } from './version-status.dto';

export class TensorSpecDto {
  @ApiProperty({ example: 'features' })
  name: string;

  @ApiProperty({ enum: ['FP32', 'FP64', 'INT32', 'INT64', 'BOOL', 'BYTES'], example: 'FP32' })
  datatype: string;

  @ApiProperty({ type: [Number], example: [-1, 4], description: '-1 marks a variable dimension (the batch)' })
  shape: number[];
}

export class SignatureChangeDto {
  @ApiProperty({ example: 'inputs.features.shape', description: '`inputs.<name>` or `outputs.<name>`, then `.datatype` or `.shape`' })
  field: string;

  @ApiProperty({ example: "shape [-1, 32] differs from production's [-1, 4]" })
  message: string;
}

export class ModelVersionDto {
  @ApiProperty({ example: 'iris', description: 'The model name' })
  model: string;

  @ApiProperty({ example: 3 })
  version: number;

  @ApiProperty({
    enum: STAGES,
    description: 'The effective stage: a deprecated version past its sunsetAt reads as retired',
  })
  stage: Stage;

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty({ enum: ['tfjs-layers', 'tfjs-graph'] })
  framework: string;

  @ApiProperty({ type: [TensorSpecDto] })
  inputs: TensorSpecDto[];

  @ApiProperty({ type: [TensorSpecDto] })
  outputs: TensorSpecDto[];

  @ApiProperty({ type: [String], nullable: true, description: 'Class names in output order (classifiers)' })
  labels: string[] | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { accuracy: 0.97 } })
  metrics: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { epochs: 50 } })
  params: Record<string, unknown>;

  @ApiProperty({
    pattern: '^[0-9a-f]{64}$',
    description:
      "sha256 of the artifact: sha256 over the lines '<sha256(file)>  <path>\\n' of its files in bytewise path order " +
      "(= `find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs sha256sum | sha256sum` in the unpacked artifact)",
  })
  sha256: string;

  @ApiProperty({ description: 'Total bytes of the artifact files', example: 1234 })
  sizeBytes: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ description: "Who registered it: a user's email, api-key:<id>, or system", example: 'ml@example.com' })
  createdBy: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deprecatedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When a deprecated version retires' })
  sunsetAt: string | null;

  @ApiProperty({ type: Number, nullable: true, description: 'The version that superseded this one' })
  successorVersion: number | null;

  @ApiPropertyOptional({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description:
      'Where the version came from when not uploaded: {trainingJobId, datasetId, datasetSha256} or {quantizedFromVersion, dtype}',
  })
  source: Record<string, unknown> | null;

  @ApiProperty({
    type: [SignatureChangeDto],
    description:
      "How this version's inputs and outputs differ from the current production version's (by name: missing or added tensors, " +
      'datatype and shape changes; -1 only matches -1). Empty for the production version itself, when there is no production ' +
      'version, or when the signatures agree. A promotion, canary or shadow with changes answers 409 SIGNATURE_MISMATCH unless ' +
      'an admin sends force: true.',
  })
  signatureChanges: SignatureChangeDto[];

  @ApiProperty({
    type: [ModelVersionStatusDto],
    description:
      "TF Serving's GetModelStatus for this version alone: END once retired, otherwise AVAILABLE (drafts included: " +
      'ml-engineers and admins can call them).',
  })
  model_version_status: ModelVersionStatusDto[];
}

export class StageTransitionDto {
  @ApiProperty({ enum: STAGES, nullable: true, description: 'null for the creation of the version' })
  from: Stage | null;

  @ApiProperty({ enum: STAGES })
  to: Stage;

  @ApiProperty({ description: "A user's email, api-key:<id>, or system (the sunset sweep)" })
  actor: string;

  @ApiProperty({ type: String, nullable: true })
  reason: string | null;

  @ApiProperty({ format: 'date-time' })
  at: string;
}
