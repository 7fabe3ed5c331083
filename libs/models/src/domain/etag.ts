import { createHash } from 'node:crypto';

/**
 * Strong ETags derived from the representation itself: any change a client could see (including
 * derived fields such as productionVersion, or a sunset passing) changes the tag, and the service
 * can recompute it inside its transaction to honour If-Match without a version column.
 */
export function etagOf(representation: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(representation)).digest('base64url').slice(0, 27)}"`;
}

/** RFC 9110 §13.1.1: `*` matches any current representation; otherwise a strong comparison. */
export function ifMatchSatisfied(ifMatch: string | undefined, current: string): boolean {
  if (ifMatch === undefined || ifMatch.trim() === '') return true;
  const tags = ifMatch.split(',').map((t) => t.trim());
  return tags.includes('*') || tags.some((t) => !t.startsWith('W/') && t === current);
}
