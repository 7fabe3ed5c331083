import { Inject } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';

/** Environment variables as read: a name and maybe a string. */
export type ConfigEnv = Record<string, string | undefined>;

type Output<S extends z.ZodRawShape> = z.output<z.ZodObject<S>>;

/**
 * One area's configuration: the variables it reads (a zod shape), cross-variable rules, and the
 * typed value its code receives. The lib that owns the area defines its slice; an app composes the
 * slices it needs (`composeConfig`), so every variable is validated once, at start-up, and a lib
 * injects only its own slice (`@InjectConfig(trainingConfig)`).
 */
export interface ConfigSlice<K extends string = string, S extends z.ZodRawShape = z.ZodRawShape, T = unknown> {
  readonly key: K;
  readonly variables: S;
  /** Rules across variables; `issue` names the variable a person has to fix. */
  readonly check?: (env: Output<S>, issue: (variable: Extract<keyof S, string>, message: string) => void) => void;
  readonly build: (env: Output<S>) => T;
  /** The DI token the slice's value is provided under. */
  readonly token: symbol;
}

// `any` keeps slices with different shapes assignable to one list (the shape is contravariant in build).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyConfigSlice = ConfigSlice<string, any, unknown>;

export function defineConfig<K extends string, S extends z.ZodRawShape, T>(
  slice: Omit<ConfigSlice<K, S, T>, 'token'>,
): ConfigSlice<K, S, T> {
  return { ...slice, token: Symbol(`config:${slice.key}`) };
}

/** The value a slice provides. */
export type ConfigOf<C> = C extends { build: (...args: never[]) => infer T } ? T : never;

/** The composed configuration of an app: one member per slice, under the slice's key. */
export type ComposedConfig<Slices extends readonly AnyConfigSlice[]> = {
  readonly [C in Slices[number] as C['key']]: ConfigOf<C>;
};

/** The variables a list of slices reads (to type test overrides). */
export type ConfigInput<Slices extends readonly AnyConfigSlice[]> = Partial<
  Record<
    Slices[number] extends infer C ? (C extends ConfigSlice<string, infer S, unknown> ? Extract<keyof S, string> : never) : never,
    string
  >
>;

export class ConfigValidationError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigValidationError';
  }
}

/** The process environment over an optional `.env` file (real variables win). The one reader of process.env. */
export function readEnvironment(): ConfigEnv {
  const dotenv = resolve('.env');
  return { ...(existsSync(dotenv) ? parseDotenv(readFileSync(dotenv)) : {}), ...process.env };
}

/**
 * Validates every variable the slices read in one pass and builds each slice's value (frozen).
 * Two slices may read the same variable only through the same definition (`sharedVariables`).
 */
export function composeConfig<const Slices extends readonly AnyConfigSlice[]>(
  slices: Slices,
  env: ConfigEnv = readEnvironment(),
): ComposedConfig<Slices> {
  const shape: Record<string, z.core.$ZodType> = {};
  for (const slice of slices) {
    for (const [name, schema] of Object.entries(slice.variables as z.ZodRawShape)) {
      if (shape[name] && shape[name] !== schema) throw new Error(`config variable ${name} is defined by two slices differently`);
      shape[name] = schema;
    }
  }
  const parsed = z.object(shape).safeParse(env);
  if (!parsed.success) {
    throw new ConfigValidationError(parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })));
  }
  const issues: { variable: string; message: string }[] = [];
  for (const slice of slices) slice.check?.(parsed.data, (variable, message) => issues.push({ variable, message }));
  if (issues.length) throw new ConfigValidationError(issues);
  const config: Record<string, unknown> = {};
  for (const slice of slices) {
    if (slice.key in config) throw new Error(`two config slices share the key ${slice.key}`);
    config[slice.key] = deepFreeze(slice.build(parsed.data));
  }
  return Object.freeze(config) as ComposedConfig<Slices>;
}

/** Every variable the slices read (documentation and manifest checks). */
export function configVariables(slices: readonly AnyConfigSlice[]): string[] {
  return [...new Set(slices.flatMap((slice) => Object.keys(slice.variables as object)))].sort();
}

/** One slice on its own (tests and tools that need one area). */
export function loadConfigSlice<C extends AnyConfigSlice>(slice: C, env: ConfigEnv = {}): ConfigOf<C> {
  return (composeConfig([slice], env) as Record<string, unknown>)[slice.key] as ConfigOf<C>;
}

/** Injects a slice's value: `constructor(@InjectConfig(trainingConfig) config: TrainingConfig)`. */
export const InjectConfig = (slice: AnyConfigSlice): ParameterDecorator => Inject(slice.token);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
