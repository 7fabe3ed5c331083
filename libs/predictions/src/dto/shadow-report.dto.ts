import { ApiProperty } from '@nestjs/swagger';

/** How the shadow version compares with production over the mirrored requests of its current run. */
export class ShadowReportDto {
  @ApiProperty({ type: 'integer', nullable: true, example: 5, description: 'The shadow version; null when the model has no shadow' })
  version: number | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 4,
    description: 'The production version the shadow was compared with (the latest one)',
  })
  baselineVersion: number | null;

  @ApiProperty({ type: 'integer', example: 1200, description: 'Mirrored requests run on the shadow (not counted as any caller’s usage)' })
  requests: number;

  @ApiProperty({ type: 'integer', example: 0, description: 'Mirrored requests the shadow failed on' })
  errors: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: 1,
    example: 0.97,
    description: 'Share of rows whose top class (argmax of the first output) is the same; null when the output is not class scores',
  })
  agreement: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 0.012, description: 'Mean |shadow − production| over every numeric output value' })
  meanAbsDiff: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: "Shadow's median model time (batching queue + compute), ms, within ~2.5 % (latencies are counted in 5 % buckets)",
  })
  p50Ms: number | null;

  @ApiProperty({ type: Number, nullable: true, description: "Shadow's 95th percentile model time, ms" })
  p95Ms: number | null;

  @ApiProperty({ type: Number, nullable: true, description: "Production's median model time on the same requests, ms" })
  baselineP50Ms: number | null;

  @ApiProperty({ type: Number, nullable: true, description: "Production's 95th percentile model time on the same requests, ms" })
  baselineP95Ms: number | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When this shadow version was set: the report counts from here and restarts when the version changes',
  })
  since: string | null;
}
