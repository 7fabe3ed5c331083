import { InvalidArgumentError } from 'commander';
import type { ModelVersionDto } from '../../generated/types.gen';

/** Option and argument parsers: a bad value is a usage error (exit 2) naming the option. */

export const STAGES: ReadonlyArray<ModelVersionDto['stage']> = ['draft', 'staging', 'production', 'deprecated', 'retired'];

export function integer(what: string, min = 0): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim()) || Number(value) < min)
      throw new InvalidArgumentError(`${what} must be an integer${min > 0 ? ` >= ${min}` : ''}.`);
    return Number(value);
  };
}

export function decimal(what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${what} must be a number.`);
    return n;
  };
}

export function stage(value: string): ModelVersionDto['stage'] {
  if (!(STAGES as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${STAGES.join(', ')}.`);
  return value as ModelVersionDto['stage'];
}

export function choice<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${choices.join(', ')}.`);
    return value as T;
  };
}

/** `a,b , c` → ['a', 'b', 'c'] */
export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function integers(what: string): (value: string) => number[] {
  return (value) => list(value).map(integer(what, 1));
}
