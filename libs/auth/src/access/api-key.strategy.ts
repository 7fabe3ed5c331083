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

  async validate(req: { headers: Record<string, string | string[] | undefined> }): Promise<Caller> {
    const key = req.headers[API_KEY_HEADER];
    const caller = typeof key === 'string' ? await this.directory.apiKey(key.trim()) : null;
    if (!caller) throw unauthenticated('API_KEY_INVALID', 'The API key is unknown, revoked or expired.');
    this.usage.touch(caller.id);
    return caller;
  }
}
