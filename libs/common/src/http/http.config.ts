import { z } from 'zod';
import { defineConfig, type ConfigOf } from '../config/config-slice';
import { bool, int, isoDate } from '../config/variables';

/** The HTTP server and the limits every request meets before any route sees it. */
export const httpConfig = defineConfig({
  key: 'http',
  variables: {
    HOST: z.string().default('0.0.0.0'),
    PORT: int(3000, 0, 65535),
    BODY_LIMIT_BYTES: int(1_048_576, 1024),
    // Deepest nesting of arrays/objects a JSON body may have (checked before parsing; v2 tensors need ~12).
    JSON_MAX_DEPTH: int(64, 8, 1000),
    TLS_CERT_FILE: z.string().optional(),
    TLS_KEY_FILE: z.string().optional(),
    CORS_ORIGINS: z.string().default(''),
    TRUST_PROXY: bool.default(false),
    API_V1_DEPRECATED_AT: isoDate,
    API_V1_SUNSET_AT: isoDate,
    // The built web console served at /console/ (`npm run build` writes it), relative to the working directory.
    CONSOLE_DIR: z.string().min(1).default('dist/console'),
  },
  check: (e, issue) => {
    if (Boolean(e.TLS_CERT_FILE) !== Boolean(e.TLS_KEY_FILE)) issue('TLS_KEY_FILE', 'TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  },
  build: (e) => ({
    host: e.HOST,
    port: e.PORT,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    /** Deepest nesting of arrays and objects in a JSON body; deeper ones are refused before parsing (400). */
    jsonMaxDepth: e.JSON_MAX_DEPTH,
    /** HTTPS (and HSTS) when both files are set. */
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : undefined,
    /** Origins allowed by CORS; empty = no cross-origin browser access. */
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    /** Honour X-Forwarded-* from a load balancer (client ip for rate limits and audit). */
    trustProxy: e.TRUST_PROXY,
    /** Deprecation and Sunset headers on every /v1 response, when the operator has announced them. */
    apiV1Deprecation: e.API_V1_DEPRECATED_AT
      ? { deprecatedAt: new Date(e.API_V1_DEPRECATED_AT), sunsetAt: e.API_V1_SUNSET_AT ? new Date(e.API_V1_SUNSET_AT) : undefined }
      : undefined,
    /** The directory of the built web console (index.html, assets/), served at /console/. */
    consoleDir: e.CONSOLE_DIR,
  }),
});
export type HttpConfig = ConfigOf<typeof httpConfig>;
