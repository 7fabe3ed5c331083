import { z } from 'zod';
import { defineConfig, optionalUrl, type ConfigOf } from '@app/common';

export const tracingConfig = defineConfig({
  key: 'tracing',
  variables: {
    // The standard OpenTelemetry variables, with their standard meaning.
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
    OTEL_SERVICE_NAME: z
      .string()
      .trim()
      .transform((v) => (v === '' ? undefined : v))
      .pipe(z.string().max(200).optional())
      .optional(),
  },
  build: (e) => ({
    /**
     * Where spans go (OTLP over HTTP, `<endpoint>/v1/traces`); unset: no spans are made or exported
     * (trace ids are still read, made and passed on).
     */
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    /** The spans' `service.name`; unset: the process's own (`modelgate-api`, `modelgate-worker`). */
    serviceName: e.OTEL_SERVICE_NAME,
  }),
});
export type TracingConfig = ConfigOf<typeof tracingConfig>;

/** OTLP/HTTP's traces path under a base endpoint (the OpenTelemetry exporter specification). */
export function otlpTracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}
