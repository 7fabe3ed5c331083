import { DynamicModule, Global, Module } from '@nestjs/common';
import { TRACING_OPTIONS, TracingService, type TracingOptions } from './tracing.service';

/**
 * Tracing for a whole process (global: the HTTP instrumentation, webhook deliveries and training
 * runs make spans). Each app imports it once, naming itself.
 */
@Global()
@Module({})
export class TracingModule {
  static forRoot(options: TracingOptions): DynamicModule {
    return {
      module: TracingModule,
      providers: [{ provide: TRACING_OPTIONS, useValue: options }, TracingService],
      exports: [TracingService],
    };
  }
}
