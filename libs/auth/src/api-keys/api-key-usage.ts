import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ScheduledJobs } from '@app/database';
import { ApiKeysRepository } from './api-keys.repository';

/**
 * Remembers when each key was last used, in memory, and writes the latest times in one statement
 * every FLUSH_MS (the scheduled job `auth.flush-api-key-usage`) and at shutdown: tracking use must
 * not cost a database write per request.
 */
@Injectable()
export class ApiKeyUsage implements OnModuleInit, BeforeApplicationShutdown {
  static readonly FLUSH_MS = 30_000;
  private readonly logger = new Logger(ApiKeyUsage.name);
  private pending = new Map<string, Date>();

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly jobs: ScheduledJobs,
  ) {}

  onModuleInit(): void {
    this.jobs.every('auth.flush-api-key-usage', ApiKeyUsage.FLUSH_MS, () => this.flush());
  }

  /** Before any module closes its connections (requests have finished by then: see graceful-shutdown; ScheduledJobs stops the ticks). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush().catch((err) => this.logger.warn({ err }, 'flushing API key usage at shutdown failed'));
  }

  touch(keyId: string, at = new Date()): void {
    this.pending.set(keyId, at);
  }

  /** A use not yet written, so listings are current before the next flush. */
  pendingFor(keyId: string): Date | undefined {
    return this.pending.get(keyId);
  }

  async flush(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.keys.recordUses(batch);
    } catch (error) {
      // Keep the uses for the next attempt, unless newer ones arrived meanwhile.
      for (const [id, at] of batch) if (!this.pending.has(id)) this.pending.set(id, at);
      throw error;
    }
    return batch.size;
  }
}
