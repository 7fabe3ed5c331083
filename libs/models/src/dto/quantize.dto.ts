import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';

export const QUANTIZATION_DTYPES = ['float16', 'uint16', 'uint8'] as const;
export type QuantizationDtype = (typeof QUANTIZATION_DTYPES)[number];

export class QuantizeVersionDto {
  @ApiProperty({ enum: QUANTIZATION_DTYPES, example: 'float16' })
  @IsIn(QUANTIZATION_DTYPES)
  dtype: QuantizationDtype;
}
