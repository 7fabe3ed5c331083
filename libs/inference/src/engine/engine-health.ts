// domain-error alone, not the @app/common index: this file also runs in inspection threads, whose start-up
// should not load NestJS, pino and the config schema.
import { DomainError } from '@app/common/errors/domain-error';

export interface EngineFailure {
  readonly at: Date;
  readonly reason: string;
}

interface EngineLogger {
  error(obj: object, msg: string): void;
}

/**
 * Whether the inference backend can still be trusted. A trap inside the wasm backend (out of
 * bounds access, abort, division by zero in its address arithmetic) leaves its memory in an unknown
 * state: every later result could be wrong. The first one marks the engine failed for good;
 * readiness then answers 503 and the process is replaced (see apps/api main.ts).
 */
export class InferenceEngineHealth {
  private failure?: EngineFailure;
  private readonly listeners = new Set<(failure: EngineFailure) => void>();

  constructor(
    private readonly logger?: EngineLogger,
    private readonly onFailed?: () => void,
  ) {}

  get healthy(): boolean {
    return this.failure === undefined;
  }

  get failed(): EngineFailure | undefined {
    return this.failure;
  }

  /** Records the first fatal error; later ones change nothing. */
  markFailed(error: unknown): void {
    if (this.failure) return;
    this.failure = { at: new Date(), reason: describe(error) };
    this.onFailed?.();
    this.logger?.error({ reason: this.failure.reason }, 'inference engine failed: not ready from now on, the process will be replaced');
    for (const listener of this.listeners) listener(this.failure);
  }

  onFailure(listener: (failure: EngineFailure) => void): void {
    if (this.failure) listener(this.failure);
    else this.listeners.add(listener);
  }

  /** Throws the 503 every inference call answers once the engine failed. */
  assertHealthy(): void {
    if (this.failure) throw new EngineFailedError();
  }
}

export class EngineFailedError extends DomainError {
  constructor() {
    super('unavailable', 'INFERENCE_ENGINE_FAILED', 'The inference engine failed on this replica and is being replaced; retry shortly.', {
      headers: { 'Retry-After': '5' },
    });
  }
}

/**
 * Errors that come from inside the backend's native code rather than from tfjs' own checks:
 * WebAssembly traps (RuntimeError), Emscripten's abort() and the heap ceiling (capWasmMemory). Checked by name, not instanceof:
 * Jest's sandbox has its own WebAssembly global.
 */
export function isFatalEngineError(error: unknown): boolean {
  if (!(error instanceof Error) && !(typeof error === 'object' && error !== null)) return false;
  const { name, message } = error as { name?: unknown; message?: unknown };
  if (name === 'RuntimeError' || (error as object).constructor?.name === 'RuntimeError') return true;
  return typeof message === 'string' && /^Aborted\(|\bAborted\(\)|WebAssembly memory limit reached/.test(message);
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split('\n')[0].slice(0, 200);
}
