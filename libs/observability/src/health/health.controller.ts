import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiProblemResponses, Public } from '@app/common';
import { HealthService } from './health.service';

// Probes come often and from few addresses (a load balancer, the kubelet): a rate limit would turn them into false alarms.
@SkipThrottle()
@ApiTags('health')
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @Public()
  @ApiOperation({ operationId: 'getLiveness', summary: 'The process is up' })
  @ApiOkResponse({ description: 'Alive', schema: { type: 'object', properties: { status: { type: 'string', example: 'ok' } } } })
  live() {
    return this.health.live();
  }

  @Get('ready')
  @Public()
  @ApiOperation({ operationId: 'getReadiness', summary: 'Every dependency (database, Redis when configured) answers' })
  @ApiOkResponse({
    description: 'Ready: every dependency answers (details per dependency)',
    schema: {
      type: 'object',
      properties: { status: { type: 'string', example: 'ok' }, info: { type: 'object' }, details: { type: 'object' } },
    },
  })
  @ApiProblemResponses('NOT_READY')
  ready() {
    return this.health.ready();
  }
}
