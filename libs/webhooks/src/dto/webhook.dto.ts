import { ApiProperty, PickType } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { WEBHOOK_EVENT_TYPES } from '../domain/webhook-events';
import type { WebhookEntity } from '../entities/webhook.entity';

export class WebhookDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'https://hooks.example.com/modelgate' })
  url: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  events: string[];

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The user or API key that created it' })
  createdBy: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

/** The answer to creation: the only time `secret` is ever shown. */
export class CreatedWebhookDto extends PickType(WebhookDto, ['id', 'url', 'events', 'createdAt'] as const) {
  @ApiProperty({
    example: 'q3X…',
    description: 'The HMAC-SHA256 key of X-ModelGate-Signature. Shown only once: store it now.',
  })
  secret: string;
}

export class WebhookIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id must be a UUID' })
  id: string;
}

export function toWebhookDto(w: WebhookEntity): WebhookDto {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    description: w.description,
    createdBy: w.createdBy,
    createdAt: w.createdAt.toISOString(),
  };
}
