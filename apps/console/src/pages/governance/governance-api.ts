import { dataOf, type ModelGateClient } from '@modelgate/sdk';

/*
 * The governance routes (CONTRACT.md "Governance and rollout (v1)") are newer than the generated
 * SDK: they are called through the SDK's authenticated client (`client.api`) by URL, with the
 * shapes the contract fixes, so credentials, retries and problem documents work as everywhere else.
 */

export const REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'stale'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export function isRequestStatus(value: string | null): value is RequestStatus {
  return (REQUEST_STATUSES as readonly (string | null)[]).includes(value);
}

export interface PromotionRequest {
  id: string;
  model: string;
  version: number;
  status: RequestStatus;
  requestedBy: string;
  reason: string | null;
  createdAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  comment: string | null;
}

export interface SunsetRow {
  model: string;
  version: number;
  deprecatedAt: string | null;
  sunsetAt: string | null;
  successorVersion: number | null;
  requestsLast7d: number;
  callersLast7d: number;
}

export interface Collection<T> {
  items: T[];
  page: { limit: number; offset: number; total: number };
}

/** A transition's answer is a promotion request (202) rather than the version when the model needs an approval. */
export function isPromotionRequest(value: unknown): value is PromotionRequest {
  return typeof value === 'object' && value !== null && 'requestedBy' in value && 'status' in value && !('stage' in value);
}

export function listPromotionRequests(
  client: ModelGateClient,
  query: { status?: RequestStatus; model?: string; limit?: number; offset?: number },
  signal?: AbortSignal,
): Promise<Collection<PromotionRequest>> {
  return dataOf(client.api.get<{ 200: Collection<PromotionRequest> }>({ url: '/v1/promotion-requests', query, signal }));
}

export function decidePromotionRequest(
  client: ModelGateClient,
  id: string,
  decision: 'approve' | 'reject',
  comment: string,
): Promise<PromotionRequest> {
  return dataOf(
    client.api.post<{ 200: PromotionRequest }>({
      url: `/v1/promotion-requests/${encodeURIComponent(id)}/${decision}`,
      body: comment.trim() ? { comment: comment.trim() } : {},
      headers: { 'content-type': 'application/json' },
    }),
  );
}

export function listSunsets(
  client: ModelGateClient,
  query: { before?: string; limit?: number; offset?: number },
  signal?: AbortSignal,
): Promise<Collection<SunsetRow>> {
  return dataOf(client.api.get<{ 200: Collection<SunsetRow> }>({ url: '/v1/sunsets', query, signal }));
}

/** `PATCH /v1/models/{name} {requireApproval}` (admin). */
export function setRequireApproval(
  client: ModelGateClient,
  model: string,
  requireApproval: boolean,
): Promise<{ requireApproval?: boolean }> {
  return dataOf(
    client.api.patch<{ 200: { requireApproval?: boolean } }>({
      url: `/v1/models/${encodeURIComponent(model)}`,
      body: { requireApproval },
      headers: { 'content-type': 'application/json' },
    }),
  );
}
