import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiPageResponse, ApiProblemResponses, CurrentActor, PageQueryDto, Roles } from '@app/common';
import { CreateWebhookDto } from '../dto/create-webhook.dto';
import { ListDeliveriesQueryDto, WebhookDeliveryDto, WebhookDeliveryListDto } from '../dto/webhook-delivery.dto';
import { CreatedWebhookDto, WebhookDto, WebhookIdParams } from '../dto/webhook.dto';
import { WebhooksService } from '../services/webhooks.service';

@ApiTags('webhooks')
@Controller({ path: 'webhooks', version: '1' })
@Roles('admin')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({ summary: 'Subscribe a URL to events; the signing secret is shown only in this answer' })
  @ApiCreatedResponse({ type: CreatedWebhookDto, description: 'The webhook; `secret` is shown only here' })
  @ApiProblemResponses(400, 'WEBHOOK_DESTINATION_NOT_ALLOWED')
  createWebhook(@Body() body: CreateWebhookDto, @CurrentActor() actor: Actor) {
    return this.webhooks.create(body, actor);
  }

  @Get()
  @ApiOperation({ summary: 'List webhooks (never their secrets)' })
  @ApiPageResponse(WebhookDto, 'A page of webhooks, oldest first')
  @ApiProblemResponses(400)
  listWebhooks(@Query() query: PageQueryDto) {
    return this.webhooks.list(query);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook and its delivery history; nothing more is sent to it' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponses(400, 'WEBHOOK_NOT_FOUND')
  deleteWebhook(@Param() { id }: WebhookIdParams, @CurrentActor() actor: Actor) {
    return this.webhooks.delete(id, actor);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "A webhook's recent deliveries, newest first" })
  @ApiOkResponse({ type: WebhookDeliveryListDto, description: 'Deliveries, newest first (at most `limit`)' })
  @ApiProblemResponses(400, 'WEBHOOK_NOT_FOUND')
  listWebhookDeliveries(@Param() { id }: WebhookIdParams, @Query() query: ListDeliveriesQueryDto) {
    return this.webhooks.listDeliveries(id, query.limit);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a `ping` event to the webhook (in the background)' })
  @ApiAcceptedResponse({ type: WebhookDeliveryDto, description: 'The ping delivery, pending; follow it in the deliveries' })
  @ApiProblemResponses(400, 'WEBHOOK_NOT_FOUND')
  testWebhook(@Param() { id }: WebhookIdParams) {
    return this.webhooks.test(id);
  }
}
