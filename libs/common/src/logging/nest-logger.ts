import { Injectable } from '@nestjs/common';
import { Logger } from 'nestjs-pino';

/**
 * Nest's own start-up narration: a line per module initialised and per route mapped (about a
 * hundred on this API) that nobody acts on. They are written at debug (`LOG_LEVEL=debug` shows
 * them), so that at info a start-up says what an operator needs: the inference backend, whether an
 * admin exists, and the URL.
 */
export const NEST_STARTUP_CONTEXTS: ReadonlySet<string> = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/** nestjs-pino's logger for Nest, with Nest's start-up narration moved from info to debug. */
@Injectable()
export class NestLogger extends Logger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && NEST_STARTUP_CONTEXTS.has(context)) this.debug(message, ...optionalParams);
    else super.log(message, ...optionalParams);
  }
}
