import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPageResponse, ApiProblemResponses, Roles } from '@app/common';
import { SunsetDto, SunsetsQueryDto } from '../dto/sunsets.dto';
import { SunsetsService } from '../usage/sunsets.service';

@ApiTags('models')
@Controller({ path: 'sunsets', version: '1' })
export class SunsetsController {
  constructor(private readonly sunsets: SunsetsService) {}

  @Get()
  @Roles('ml-engineer')
  @ApiOperation({
    summary: 'Deprecated versions across models, soonest sunset first, with their requests and distinct callers over the last 7 days',
  })
  @ApiPageResponse(SunsetDto, 'A page of deprecated versions')
  @ApiProblemResponses(400)
  listSunsets(@Query() query: SunsetsQueryDto) {
    return this.sunsets.list(query);
  }
}
