import type { PromotionRequestDto } from '@modelgate/sdk';

export type RequestStatus = PromotionRequestDto['status'];

export const REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'stale'] as const satisfies readonly RequestStatus[];

export function isRequestStatus(value: string | null): value is RequestStatus {
  return (REQUEST_STATUSES as readonly (string | null)[]).includes(value);
}

/**
 * A transition's answer is a promotion request (202) rather than the version when the model needs
 * an approval; the generated transition types only know the 200 (the version).
 */
export function isPromotionRequest(value: unknown): value is PromotionRequestDto {
  return typeof value === 'object' && value !== null && 'requestedBy' in value && 'status' in value && !('stage' in value);
}
