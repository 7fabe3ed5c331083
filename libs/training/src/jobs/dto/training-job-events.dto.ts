import { ApiProperty } from '@nestjs/swagger';
import { EpochRecordDto } from './training-job.dto';

/** The data of a `progress` event: one epoch of the current attempt. */
export class TrainingProgressEventDto extends EpochRecordDto {
  @ApiProperty({ example: 30, description: 'Epochs the job runs (at most)' })
  epochs: number;

  @ApiProperty({ example: 1, description: 'The run this epoch belongs to (a job whose worker died is retried once: 2)' })
  attempt: number;
}

/** The data of a `revoked` event: the caller lost access while following; the stream then ends. */
export class TrainingRevokedEventDto {
  @ApiProperty({ enum: [401, 403], example: 401, description: 'What a new request with the same credential would get' })
  status: 401 | 403;

  @ApiProperty({ enum: ['CREDENTIALS_REVOKED', 'TOKEN_REVOKED', 'INSUFFICIENT_ROLE'], example: 'TOKEN_REVOKED' })
  code: 'CREDENTIALS_REVOKED' | 'TOKEN_REVOKED' | 'INSUFFICIENT_ROLE';

  @ApiProperty({ example: "This token was issued before the account's password, roles or status changed; sign in again." })
  detail: string;
}
