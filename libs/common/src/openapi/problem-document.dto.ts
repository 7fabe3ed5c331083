import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'name' })
  field: string;

  @ApiProperty({ example: 'name must match ^[a-z0-9][a-z0-9._-]{1,62}$' })
  message: string;
}

/** RFC 9457 problem details, as every error response carries them. */
export class ProblemDocumentDto {
  @ApiProperty({ example: 'https://modelgate.dev/problems/model-not-found' })
  type: string;

  @ApiProperty({ example: 'Not Found' })
  title: string;

  @ApiProperty({ example: 404 })
  status: number;

  @ApiProperty({ example: 'Model "iris" does not exist.' })
  detail: string;

  @ApiProperty({ example: '/v1/models/iris' })
  instance: string;

  @ApiProperty({ description: 'Stable machine-readable error code', example: 'MODEL_NOT_FOUND' })
  code: string;

  @ApiProperty({ example: '3f1c2b7e-8a4d-4c8e-9f1a-2b3c4d5e6f70' })
  requestId: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Present on validation problems' })
  errors?: FieldErrorDto[];
}
