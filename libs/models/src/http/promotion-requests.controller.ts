import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiPageResponse, ApiProblemResponses, CurrentActor, Roles } from '@app/common';
import { DecidePromotionDto, ListPromotionRequestsQueryDto, PromotionRequestDto } from '../dto/promotion-request.dto';
import { PromotionsService } from '../services/promotions.service';

@ApiTags('promotion requests')
@Controller({ path: 'promotion-requests', version: '1' })
export class PromotionRequestsController {
  constructor(private readonly promotions: PromotionsService) {}

  @Get()
  @Roles('ml-engineer')
  @ApiOperation({ summary: 'List promotion requests, newest first (filter by status and model)' })
  @ApiPageResponse(PromotionRequestDto, 'A page of promotion requests')
  @ApiProblemResponses(400)
  listPromotionRequests(@Query() query: ListPromotionRequestsQueryDto) {
    return this.promotions.list(query);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({
    summary: 'Approve a promotion request: the version moves to production now',
    description:
      'Admins and users with the `approver` flag, never the requester (403 SELF_APPROVAL). A request whose version left the ' +
      'stage it was made in becomes `stale` (409 PROMOTION_REQUEST_STALE). The move is checked as a transition is ' +
      '(stage rules, the signature guard).',
  })
  @ApiOkResponse({ type: PromotionRequestDto, description: 'The request, approved' })
  @ApiProblemResponses(400, [403, 'NOT_AN_APPROVER', 'SELF_APPROVAL'], 'PROMOTION_REQUEST_NOT_FOUND', [
    409,
    'PROMOTION_REQUEST_STALE',
    'PROMOTION_REQUEST_DECIDED',
    'INVALID_STAGE_TRANSITION',
    'SIGNATURE_MISMATCH',
    'CONCURRENT_MODIFICATION',
  ])
  approvePromotionRequest(@Param('id') id: string, @Body() dto: DecidePromotionDto, @CurrentActor() actor: Actor) {
    return this.promotions.approve(id, dto, actor);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'Reject a promotion request (admins and approvers, never the requester)' })
  @ApiOkResponse({ type: PromotionRequestDto, description: 'The request, rejected' })
  @ApiProblemResponses(400, [403, 'NOT_AN_APPROVER', 'SELF_APPROVAL'], 'PROMOTION_REQUEST_NOT_FOUND', [409, 'PROMOTION_REQUEST_DECIDED'])
  rejectPromotionRequest(@Param('id') id: string, @Body() dto: DecidePromotionDto, @CurrentActor() actor: Actor) {
    return this.promotions.reject(id, dto, actor);
  }
}
