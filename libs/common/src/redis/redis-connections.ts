import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis, RedisOptions } from 'ioredis';
import { redisConfig, type RedisConfig } from './redis.config';
import { InjectConfig } from '../config/config-slice';
import { redisOptions, RedisRole } from './redis-options';

/** How long a connection may take to answer QUIT at shutdown before it is dropped. */
const QUIT_TIMEOUT_MS = 1_000;

export interface RedisConnectionInfo {
  readonly name: string;
  readonly role: RedisRole;
  /** ioredis' status: wait, connecting, ready, reconnecting, close, end… */
  readonly status: string;
}

/**
 * The one place Redis connections are made (rate limits, cluster events, training events, BullMQ,
 * health). It holds the URL and key prefix from config, the options of each role
 * (`redisOptions`), one retry strategy and one error-logging policy: while Redis is unreachable
 * it logs once when the outage starts and once when every failing connection is back, instead
 * of a line per connection error. It tracks the connections it made and quits them all on
 * application shutdown: callers use them but never close them.
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  /** Prefix of this deployment's keys and channels (REDIS_KEY_PREFIX; BullMQ has TRAINING_QUEUE_PREFIX). */
  readonly keyPrefix: string;
  private readonly url?: string;
  private readonly open = new Map<Redis, { name: string; role: RedisRole }>();
  private readonly failing = new Set<Redis>();
  private outage = false;
  private closed = false;
  protected readonly logger: Pick<Logger, 'warn' | 'log'> = new Logger('Redis');

  constructor(@InjectConfig(redisConfig) config: RedisConfig) {
    this.url = config.url;
    this.keyPrefix = config.keyPrefix;
  }

  /** The options of a role (a copy). */
  static options(role: RedisRole): RedisOptions {
    return { ...redisOptions[role] };
  }

  /** Whether REDIS_URL is set; without it there is nothing to connect to. */
  get configured(): boolean {
    return Boolean(this.url);
  }

  /** `<REDIS_KEY_PREFIX><name>`: a key or channel of this deployment. */
  key(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  /**
   * A new connection with the role's options. `name` says what it is for (in logs). The caller
   * may use it but must not close it: it is quit on application shutdown (`closeAll`).
   */
  create(role: RedisRole, name: string): Redis {
    if (!this.url) throw new Error(`REDIS_URL is not set: no Redis connection for ${name}`);
    if (this.closed) throw new Error(`Redis connections are closed (shutting down): no connection for ${name}`);
    const client = new Redis(this.url, RedisConnections.options(role));
    this.open.set(client, { name, role });
    client.on('error', (error: Error) => this.failed(client, name, error));
    client.on('ready', () => this.recovered(client));
    client.on('end', () => {
      this.open.delete(client);
      this.failing.delete(client);
    });
    return client;
  }

  /** The connections made and not yet ended. */
  list(): RedisConnectionInfo[] {
    return [...this.open].map(([client, { name, role }]) => ({ name, role, status: client.status }));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.closeAll();
  }

  /** Quits every connection made here (drops those that cannot answer); later `create` calls throw. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const clients = [...this.open.keys()];
    this.open.clear();
    this.failing.clear();
    await Promise.allSettled(clients.map((client) => close(client)));
  }

  private failed(client: Redis, name: string, error: Error): void {
    if (this.closed || this.failing.has(client)) return;
    this.failing.add(client);
    if (this.outage) return;
    this.outage = true;
    this.logger.warn(`Redis unreachable (${name}: ${error.message}); connections retry until it returns`);
  }

  private recovered(client: Redis): void {
    if (!this.failing.delete(client) || this.failing.size > 0 || !this.outage || this.closed) return;
    this.outage = false;
    this.logger.log('Redis reachable again');
  }
}

/** Quits a connection (drops it if QUIT gets no answer) and resolves once it has ended. */
async function close(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  const ended = new Promise<false>((resolve) => client.once('end', () => resolve(false)));
  if (client.status === 'ready') {
    client.quit().catch(() => client.disconnect());
  } else {
    // Not connected (never, or between retries): nothing to say goodbye to, stop reconnecting.
    const betweenRetries = client.status === 'reconnecting';
    client.disconnect();
    // Between retries, ioredis' disconnect() only cancels the retry timer: the client would never
    // reach 'end' and commands in its offline queue would wait forever. One more attempt, flagged
    // as manually closed, ends it (and fails those commands) whether or not Redis answers.
    if (betweenRetries) client.connect().catch(() => undefined);
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), QUIT_TIMEOUT_MS);
  });
  if (await Promise.race([ended, timedOut])) client.disconnect();
  clearTimeout(timer);
}
