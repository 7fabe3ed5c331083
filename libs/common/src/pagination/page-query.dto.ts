import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

/** `?limit=&offset=` as every collection accepts them. Extend it for filters. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_LIMIT)
  limit: number = DEFAULT_PAGE_LIMIT;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset: number = 0;
}

export interface PageInfo {
  limit: number;
  offset: number;
  total: number;
}

export interface Page<T> {
  items: T[];
  page: PageInfo;
}

export function toPage<T>(items: T[], total: number, query: Pick<PageQueryDto, 'limit' | 'offset'>): Page<T> {
  return { items, page: { limit: query.limit, offset: query.offset, total } };
}
