import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { isoOrNull } from '@app/common';
import { DELIVERY_STATUSES, type DeliveryStatus, PING_EVENT, WEBHOOK_EVENT_TYPES } from '../domain/webhook-events';
import type { WebhookDeliveryEntity } from '../entities/webhook-delivery.entity';

export const MAX_DELIVERIES_LISTED = 100;

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid', description: 'Also X-ModelGate-Delivery and the body `id`: receivers dedupe on it' })
  id: string;

  @ApiProperty({ enum: [...WEBHOOK_EVENT_TYPES, PING_EVENT] })
  event: string;

  @ApiProperty({ enum: DELIVERY_STATUSES })
  status: DeliveryStatus;

  @ApiProperty({ example: 1, description: 'Attempts made so far' })
  attempts: number;

  @ApiProperty({ type: Number, nullable: true, description: "The receiver's last HTTP status (null: none yet, or no answer)" })
  responseStatus: number | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt: string | null;
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto], description: 'Newest first' })
  items: WebhookDeliveryDto[];
}

export class ListDeliveriesQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_DELIVERIES_LISTED, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_DELIVERIES_LISTED)
  limit: number = 50;
}

export function toDeliveryDto(d: WebhookDeliveryEntity): WebhookDeliveryDto {
  return {
    id: d.id,
    event: d.eventType,
    status: d.status,
    attempts: d.attempts,
    responseStatus: d.responseStatus,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: isoOrNull(d.deliveredAt),
  };
}
