import { createHash } from 'node:crypto';

/**
 * Sticky canary assignment: a caller always lands in the same bucket (0..9999) for a model, so a
 * client does not flip between versions from one request to the next; `percent` of the buckets go to
 * the canary. Buckets are per model so one caller is not the canary guinea pig everywhere.
 */
export function canaryBucket(callerKey: string, modelName: string): number {
  const digest = createHash('sha256').update(`${modelName}\u0000${callerKey}`).digest();
  return digest.readUInt32BE(0) % 10_000;
}

export function routesToCanary(callerKey: string, modelName: string, percent: number): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return canaryBucket(callerKey, modelName) < Math.round(percent * 100);
}
