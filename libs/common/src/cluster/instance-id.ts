import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Unique per process start (host and pid alone repeat across container restarts). */
export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}
