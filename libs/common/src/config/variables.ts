import { z } from 'zod';

/** Building blocks of config slices: how an environment string becomes a typed value. */

export const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

export const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);

export const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.string().url().optional())
  .optional();

export const isoDate = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.string().datetime({ offset: true }).optional())
  .optional();

/** Variables several areas read: one definition each, so composition can tell they agree. */
export const sharedVariables = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Root of everything kept on local disk (embedded database, filesystem artifacts). */
  DATA_DIR: z.string().default('./data'),
  /** On SIGTERM, how long in-flight work may take before the process exits. */
  SHUTDOWN_TIMEOUT_MS: int(15_000, 0, 600_000),
} as const;
