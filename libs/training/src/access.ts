import { Actor, hasRole } from '@app/common';

/**
 * Datasets and training jobs belong to whoever created them: owners and admins see and change
 * them; to anyone else they do not exist (404, not 403, so ids of others' data leak nothing).
 */
export function canAccess(actor: Actor, ownerId: string): boolean {
  return actor.caller.id === ownerId || hasRole(actor.caller.roles, 'admin');
}

export function isAdmin(actor: Actor): boolean {
  return hasRole(actor.caller.roles, 'admin');
}
