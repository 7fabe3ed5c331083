import { ApiProperty } from '@nestjs/swagger';
import { VERSION_STATES, VersionState } from '../domain/version-status';

export class VersionStatusErrorDto {
  @ApiProperty({ enum: ['OK'], example: 'OK' })
  error_code: 'OK';

  @ApiProperty({ enum: [''], example: '' })
  error_message: '';
}

/** One entry of TF Serving's `model_version_status` (GetModelStatusResponse). */
export class ModelVersionStatusDto {
  @ApiProperty({ example: '3', pattern: '^[0-9]+$', description: 'The version number, as a string (as TF Serving writes it)' })
  version: string;

  @ApiProperty({
    enum: VERSION_STATES,
    example: 'AVAILABLE',
    description: 'AVAILABLE: loaded or loadable (every version that is not retired); END: retired',
  })
  state: VersionState;

  @ApiProperty({ type: VersionStatusErrorDto })
  status: VersionStatusErrorDto;
}
