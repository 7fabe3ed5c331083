import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses, Roles } from '@app/common';
import { UsageQueryDto, UsageReportDto } from '../dto/usage.dto';
import { UsageService } from '../usage/usage.service';

@ApiTags('usage')
@Controller({ path: 'usage', version: '1' })
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'Prediction usage for cost analysis: requests, rows, errors, latency percentiles, compute' })
  @ApiOkResponse({
    type: UsageReportDto,
    description: 'One row per group (model, version or caller) over the period, or per group and time bucket with `interval`',
  })
  @ApiProblemResponses(400, [422, 'VALIDATION_FAILED'])
  getUsage(@Query() q: UsageQueryDto) {
    return this.usage.aggregate({ ...q, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
  }
}
