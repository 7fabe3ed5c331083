import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defineConfig, int, sharedVariables, type ConfigOf } from '@app/common';

const WEAK_SECRETS = new Set(['secret', 'changeme', 'change-me', 'password', 'jwt-secret', 'development']);

/**
 * An optional value where an empty string means "not set": what `VAR=` in an .env file or a compose
 * file passing an unset variable on (`${VAR:-}`) produces. Checked by `schema` only when non-empty.
 */
const unlessEmpty = (schema: z.ZodString) =>
  z
    .string()
    .transform((v) => (v.trim() === '' ? undefined : v))
    .pipe(schema.optional())
    .optional();

/** Tokens, passwords, the first admin and the request rate limits. */
export const authConfig = defineConfig({
  key: 'auth',
  variables: {
    NODE_ENV: sharedVariables.NODE_ENV,
    JWT_SECRET: unlessEmpty(z.string()),
    JWT_ISSUER: z.string().default('modelgate'),
    JWT_AUDIENCE: z.string().default('modelgate-api'),
    JWT_ACCESS_TTL_SECONDS: int(900, 30, 86_400),
    JWT_REFRESH_TTL_SECONDS: int(1_209_600, 60),
    JWT_PRIVATE_KEY_FILE: unlessEmpty(z.string()),
    JWT_PUBLIC_KEY_FILE: unlessEmpty(z.string()),
    ADMIN_EMAIL: unlessEmpty(z.string().trim().email()),
    ADMIN_PASSWORD: unlessEmpty(z.string().min(12)),
    RATE_LIMIT_PER_MINUTE: int(600, 1),
    AUTH_RATE_LIMIT_PER_MINUTE: int(10, 1),
    // log2 of scrypt's N (memory = 128 * N * 8 bytes): 16 is 64 MiB per hash. Stored in each hash,
    // so raising it re-hashes passwords at their next login.
    PASSWORD_SCRYPT_COST: int(16, 14, 20),
  },
  check: (e, issue) => {
    if (e.NODE_ENV === 'production' && !e.JWT_PRIVATE_KEY_FILE) {
      const secret = e.JWT_SECRET ?? '';
      if (secret.length < 32 || WEAK_SECRETS.has(secret.toLowerCase()) || new Set(secret).size < 8) {
        issue('JWT_SECRET', 'must be set in production to a random string of at least 32 characters');
      }
    }
    if (Boolean(e.JWT_PRIVATE_KEY_FILE) !== Boolean(e.JWT_PUBLIC_KEY_FILE)) {
      issue('JWT_PUBLIC_KEY_FILE', 'JWT_PRIVATE_KEY_FILE and JWT_PUBLIC_KEY_FILE must be set together (RS256)');
    }
  },
  build: (e) => ({
    jwt: {
      // Outside production an unset secret gets a per-process random one: tokens then simply
      // do not survive a restart, which is the safe failure.
      secret: e.JWT_SECRET ?? randomBytes(48).toString('base64url'),
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTtlSeconds: e.JWT_ACCESS_TTL_SECONDS,
      refreshTtlSeconds: e.JWT_REFRESH_TTL_SECONDS,
      privateKeyFile: e.JWT_PRIVATE_KEY_FILE,
      publicKeyFile: e.JWT_PUBLIC_KEY_FILE,
    },
    bootstrapAdmin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    rateLimit: { perMinute: e.RATE_LIMIT_PER_MINUTE, authPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE },
    passwords: { scryptCost: e.PASSWORD_SCRYPT_COST },
  }),
});
export type AuthConfig = ConfigOf<typeof authConfig>;
