import type { UsageRecord } from '../usage/usage-events.repository';

/** When `aUsageRecord` happens unless told otherwise. */
export const USAGE_T0 = Date.parse('2030-01-10T00:00:00.000Z');

/** One request as the usage recorder receives it: a successful v1 prediction of one row of iris v1 by the API key k-1, at USAGE_T0. */
export function aUsageRecord(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    at: new Date(USAGE_T0),
    modelName: 'iris',
    version: 1,
    callerId: 'k-1',
    callerKind: 'api-key',
    api: 'v1',
    status: 200,
    rows: 1,
    latencyMs: 10,
    computeMs: 1,
    ...overrides,
  };
}
