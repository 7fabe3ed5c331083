import type { Actor } from '@app/common';

/**
 * How a principal is named in registry records (createdBy, transition actor): a user's email,
 * `api-key:<id>` for a service account, `system` for the scheduler. Stable and readable, never a
 * secret.
 */
export function principalOf(actor: Actor | null): string {
  if (!actor) return 'system';
  const c = actor.caller;
  if (c.kind === 'api-key') return `api-key:${c.id}`;
  return c.email ?? `user:${c.id}`;
}
