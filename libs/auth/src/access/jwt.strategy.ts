import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Caller } from '@app/common';
import { ApiKeyUsage } from '../api-keys/api-key-usage';
import { AccessTokens, parseClaims } from '../tokens/access-tokens';
import { unauthenticated } from './unauthenticated';
import { CallerDirectory } from './caller-directory';
import { ownPassport } from './own-passport';

export const JWT_STRATEGY = 'jwt';

/**
 * `Authorization: Bearer <JWT>`. Signature, algorithm, iss, aud, exp and nbf are checked by
 * passport-jwt with AccessTokens' options; then the subject must still be an enabled user or a live
 * key, and its current roles (not the ones frozen in the token) are what the request gets. A
 * user's token must also carry the account's current credential version (else TOKEN_REVOKED).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(
    tokens: AccessTokens,
    private readonly directory: CallerDirectory,
    private readonly usage: ApiKeyUsage,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // jsonwebtoken takes a KeyObject (much faster than a string); the typings only say string | Buffer.
      secretOrKey: tokens.verificationKey as unknown as Buffer,
      ...tokens.verificationOptions,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: 0 },
    });
  }

  getPassportInstance() {
    return ownPassport(this);
  }

  async validate(payload: unknown): Promise<Caller> {
    const claims = parseClaims(payload);
    if (!claims) throw unauthenticated('TOKEN_INVALID', 'The access token is not valid.', 'invalid_token');
    if (claims.kind === 'user') {
      const standing = await this.directory.user(claims.sub, claims.jti, claims.cv);
      if (!standing.ok) throw unauthenticated(standing.code, standing.detail, 'invalid_token');
      return standing.caller;
    }
    const caller = await this.directory.apiKeyById(claims.sub, claims.jti);
    if (!caller) {
      throw unauthenticated(
        'CREDENTIALS_REVOKED',
        'The account or API key behind this token is disabled, revoked or no longer exists.',
        'invalid_token',
      );
    }
    // A client-credentials token is a use of its key, like X-API-Key.
    this.usage.touch(caller.id);
    return caller;
  }
}
