import { DynamicModule, Global, Module } from '@nestjs/common';
import type { AnyConfigSlice, ComposedConfig } from './config-slice';

/** Provides each composed slice under its own token; a lib injects only the slices it reads. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot<const Slices extends readonly AnyConfigSlice[]>(slices: Slices, config: ComposedConfig<Slices>): DynamicModule {
    const values = config as Record<string, unknown>;
    const providers = slices.map((slice) => ({ provide: slice.token, useValue: values[slice.key] }));
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
