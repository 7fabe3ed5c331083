import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses, Roles } from '@app/common';
import { ModelNameParams } from '@app/models';
import { ShadowReportDto } from '../dto/shadow-report.dto';
import { ShadowReportService } from '../shadow/shadow-report.service';

@ApiTags('model aliases and traffic')
@Controller({ path: 'models/:name/shadow-report', version: '1' })
export class ShadowReportController {
  constructor(private readonly reports: ShadowReportService) {}

  @Get()
  @Roles('ml-engineer')
  @ApiOperation({
    summary: "How the model's shadow version compares with production on the mirrored requests",
    description:
      'Counts from when the current shadow version was set (`since`; a new version restarts it). Mirrored requests that waited ' +
      'while the shadow queue was full were dropped (metric `modelgate_shadow_queue_dropped_total`) and are not in it. With no shadow, ' +
      '`version` and `since` are null.',
  })
  @ApiOkResponse({ type: ShadowReportDto, description: 'The current shadow run’s figures' })
  @ApiProblemResponses(400, 'MODEL_NOT_FOUND')
  getShadowReport(@Param() { name }: ModelNameParams) {
    return this.reports.report(name);
  }
}
