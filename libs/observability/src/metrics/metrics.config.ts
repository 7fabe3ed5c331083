import { z } from 'zod';
import { defineConfig, type ConfigOf } from '@app/common';

export const metricsConfig = defineConfig({
  key: 'metrics',
  variables: { METRICS_TOKEN: z.string().min(16).optional() },
  /** When set, GET /metrics wants `Authorization: Bearer <token>`. */
  build: (e) => ({ token: e.METRICS_TOKEN }),
});
export type MetricsConfig = ConfigOf<typeof metricsConfig>;
