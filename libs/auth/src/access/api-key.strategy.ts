import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import type { Caller } from '@app/common';
import { ApiKeyUsage } from '../api-keys/api-key-usage';
import { CallerDirectory } from './caller-directory';
import { ownPassport } from './own-passport';
import { unauthenticated } from './unauthenticated';

export const API_KEY_STRATEGY = 'api-key';
export const API_KEY_HEADER = 'x-api-key';

interface ApiKeyRequest {
  headers: Record<string, string | string[] | undefined>;
}

/** `X-API-Key: mgk_…` for service accounts. */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, API_KEY_STRATEGY) {
  constructor(
    private readonly directory: CallerDirectory,
    private readonly usage: ApiKeyUsage,
  ) {
    super();
  }

  getPassportInstance() {
    return ownPassport(this);
  }

  async validate(req: ApiKeyRequest): Promise<Caller> {
    const key = req.headers[API_KEY_HEADER];
    return this.accept(typeof key === 'string' ? await this.directory.apiKey(key.trim()) : null);
  }

  /** validate()'s answer without a promise when the key's standing is cached; undefined: call validate(). */
  validateNow(req: ApiKeyRequest): Caller | undefined {
    const key = req.headers[API_KEY_HEADER];
    const caller = typeof key === 'string' ? this.directory.apiKeyNow(key.trim()) : null;
    return caller === undefined ? undefined : this.accept(caller);
  }

  private accept(caller: Caller | null): Caller {
    if (!caller) throw unauthenticated('API_KEY_INVALID', 'The API key is unknown, revoked or expired.');
    this.usage.touch(caller.id);
    return caller;
  }
}
