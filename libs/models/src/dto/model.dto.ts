import { ApiProperty } from '@nestjs/swagger';
import { ModelVersionStatusDto } from './version-status.dto';

export class ModelDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'iris', pattern: '^[a-z0-9][a-z0-9._-]{1,62}$' })
  name: string;

  @ApiProperty({ type: String, nullable: true, example: 'Iris species classifier' })
  description: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'classification' })
  task: string | null;

  @ApiProperty({ type: [String], example: ['tabular', 'demo'] })
  tags: string[];

  @ApiProperty({ description: 'Moves to production wait for an approver (or PROMOTION_REQUIRES_APPROVAL asks it of every model)' })
  requireApproval: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ type: Number, nullable: true, description: 'The version in the production stage, if any', example: 3 })
  productionVersion: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'The highest version number, if any version exists', example: 4 })
  latestVersion: number | null;

  @ApiProperty({
    type: [ModelVersionStatusDto],
    description:
      "TF Serving's GetModelStatus: the staging, production and deprecated versions (those consumers are served), newest first. " +
      'Drafts and retired versions are not listed.',
  })
  model_version_status: ModelVersionStatusDto[];
}
