import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPageResponse, ApiProblemResponses, Roles } from '@app/common';
import { AuditService } from './audit.service';
import { AuditEventDto } from './dto/audit-event.dto';
import { ListAuditEventsQueryDto } from './dto/list-audit-events.query.dto';

@ApiTags('audit')
@Controller({ path: 'audit-events', version: '1' })
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'Security-relevant events, newest first, with filters' })
  @ApiPageResponse(AuditEventDto, 'A page of audit events, newest first')
  @ApiProblemResponses(400)
  listAuditEvents(@Query() query: ListAuditEventsQueryDto) {
    return this.audit.list(query);
  }
}
