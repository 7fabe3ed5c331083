/**
 * Audit details are written by many callers; whatever they pass, a secret must not reach the table.
 * Keys that name a secret are replaced, at any depth.
 */
const SECRET_KEY = /pass(word)?|secret|token|hash|^key$|apikey|api_key|credential|authorization|cookie/i;

export const REDACTED = '[REDACTED]';

export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEY.test(k) ? REDACTED : redactSecrets(v, depth + 1)]),
    );
  }
  return value;
}
