import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { Actor, Caller, NotFoundError } from '@app/common';
import { RequestOrigin } from '../access/request-origin.decorator';
import { unauthenticated } from '../access/unauthenticated';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { OAuthError } from '../oauth/oauth-error';
import { TokenRequestDto } from '../oauth/dto/token-request.dto';
import { TokenResponseDto } from '../oauth/dto/token-response.dto';
import { PasswordHasher } from '../passwords/password-hasher';
import { AccessTokens } from '../tokens/access-tokens';
import { RefreshTokensService } from '../tokens/refresh-tokens.service';
import { sameHash, sha256 } from '../tokens/secrets';
import { UserEntity } from '../users/entities/user.entity';
import { UsersRepository } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import { LoginDto } from './dto/login.dto';
import { MeDto } from './dto/me.dto';
import { TokenPairDto } from './dto/token-pair.dto';

/** One answer for every failed sign-in, so it never tells whether the account exists. */
const BAD_CREDENTIALS = 'The email or password is not correct.';
const BAD_REFRESH = 'The refresh token is invalid, expired or revoked; sign in again.';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeysService,
    private readonly hasher: PasswordHasher,
    private readonly accessTokens: AccessTokens,
    private readonly refreshTokens: RefreshTokensService,
    private readonly audit: AuditService,
    private readonly userRows: UsersRepository,
  ) {}

  async login(input: LoginDto, origin: RequestOrigin): Promise<TokenPairDto> {
    const user = await this.users.findByEmail(input.email);
    const passwordOk = user
      ? await this.hasher.verify(input.password, user.passwordHash)
      : await this.hasher.verifyAgainstNothing(input.password);
    if (!user || !passwordOk || user.disabled) {
      await this.audit.record({
        action: 'auth.login.failed',
        ...origin,
        targetType: user ? 'user' : undefined,
        targetId: user?.id,
        details: { email: input.email.slice(0, 254), reason: !user ? 'unknown-email' : !passwordOk ? 'wrong-password' : 'disabled' },
      });
      throw unauthenticated('INVALID_CREDENTIALS', BAD_CREDENTIALS);
    }
    const session = await this.refreshTokens.startSession(user.id, user.credentialVersion);
    if (!session) {
      // The account was disabled or its password reset between the check above and now.
      await this.audit.record({
        action: 'auth.login.failed',
        ...origin,
        targetType: 'user',
        targetId: user.id,
        details: { email: user.email, reason: 'credentials-changed' },
      });
      throw unauthenticated('INVALID_CREDENTIALS', BAD_CREDENTIALS);
    }
    await this.users.upgradeHashIfNeeded(user, input.password);
    const { token: refreshToken, familyId } = session;
    const pair = this.pair(user, refreshToken);
    await this.audit.record({
      action: 'auth.login.succeeded',
      actor: this.actorFor(user, origin),
      targetType: 'user',
      targetId: user.id,
      details: { familyId },
    });
    return pair;
  }

  async refresh(refreshToken: string, origin: RequestOrigin): Promise<TokenPairDto> {
    // The user is read (and held, FOR SHARE) in the rotation's transaction: the new access token
    // carries the credential version that the new refresh token was issued under.
    const result = await this.refreshTokens.rotate(refreshToken, async (userId, tx) => {
      const u = await this.userRows.findByIdForShare(userId, tx);
      return u && !u.disabled ? u : null;
    });
    if (result.outcome === 'reused') {
      await this.audit.record({
        action: 'auth.refresh-token.reuse-detected',
        ...origin,
        targetType: 'user',
        targetId: result.userId,
        details: { familyId: result.familyId, effect: 'family revoked' },
      });
      throw unauthenticated('REFRESH_TOKEN_REUSED', 'This refresh token was already used; the session has been revoked. Sign in again.');
    }
    if (result.outcome === 'rejected') throw unauthenticated('INVALID_REFRESH_TOKEN', BAD_REFRESH);
    return this.pair(result.subject, result.refreshToken);
  }

  /** Idempotent: an unknown or already revoked token is fine (nothing to end, nothing to reveal). */
  async logout(refreshToken: string, origin: RequestOrigin): Promise<void> {
    const ended = await this.refreshTokens.revokeFamilyOf(refreshToken);
    if (ended) {
      await this.audit.record({
        action: 'auth.logout',
        ...origin,
        targetType: 'user',
        targetId: ended.userId,
        details: { familyId: ended.familyId },
      });
    }
  }

  async me(caller: Caller): Promise<MeDto> {
    if (caller.kind === 'api-key') {
      const key = await this.apiKeys.findById(caller.id);
      return { id: caller.id, kind: 'api-key', email: null, roles: [...caller.roles], ...(key ? { name: key.name } : {}) };
    }
    const user = await this.users.findById(caller.id);
    if (!user) throw new NotFoundError('USER_NOT_FOUND', 'Your account no longer exists.');
    return { id: user.id, kind: 'user', email: user.email, roles: [...user.roles] };
  }

  /** OAuth2 client credentials (RFC 6749 §4.4): a service account trades its client secret for a JWT. */
  async clientCredentials(body: TokenRequestDto, authorization: string | undefined, origin: RequestOrigin): Promise<TokenResponseDto> {
    if (!body.grant_type) throw new OAuthError('invalid_request', 'grant_type is required.');
    if (body.grant_type !== 'client_credentials') {
      throw new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
    }
    const credentials = clientCredentialsFrom(body, authorization);
    const client = credentials && (await this.apiKeys.findClient(credentials.clientId));
    const valid =
      client &&
      sameHash(sha256(credentials.clientSecret), client.clientSecretHash) &&
      !client.revokedAt &&
      !(client.expiresAt && client.expiresAt.getTime() <= Date.now());
    if (!client || !valid) {
      await this.audit.record({
        action: 'auth.token.failed',
        ...origin,
        targetType: client ? 'api-key' : undefined,
        targetId: client?.id,
        details: { clientId: credentials?.clientId.slice(0, 200) ?? null },
      });
      throw new OAuthError('invalid_client', 'Client authentication failed.');
    }
    const issued = this.accessTokens.issue({ id: client.id, roles: [client.role], kind: 'api-key' });
    await this.audit.record({
      action: 'auth.token.issued',
      actor: { caller: { id: client.id, kind: 'api-key', roles: [client.role] }, ...origin },
      targetType: 'api-key',
      targetId: client.id,
      details: { grantType: 'client_credentials', jti: issued.jti },
    });
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn };
  }

  private pair(user: UserEntity, refreshToken: string): TokenPairDto {
    const access = this.accessTokens.issue({ id: user.id, roles: user.roles, kind: 'user', credentialVersion: user.credentialVersion });
    return { accessToken: access.token, refreshToken, tokenType: 'Bearer', expiresIn: access.expiresIn };
  }

  private actorFor(user: UserEntity, origin: RequestOrigin): Actor {
    return { caller: { id: user.id, kind: 'user', roles: user.roles, email: user.email }, ...origin };
  }
}

/** From the body or HTTP Basic (RFC 6749 §2.3.1); using both at once is not allowed. */
function clientCredentialsFrom(
  body: TokenRequestDto,
  authorization: string | undefined,
): { clientId: string; clientSecret: string } | null {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (basic && (body.client_id || body.client_secret)) {
    throw new OAuthError('invalid_request', 'Send client credentials either with HTTP Basic or in the body, not both.');
  }
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    const clientId = safeDecode(decoded.slice(0, colon));
    const clientSecret = safeDecode(decoded.slice(colon + 1));
    return clientId && clientSecret ? { clientId, clientSecret } : null;
  }
  return body.client_id && body.client_secret ? { clientId: body.client_id, clientSecret: body.client_secret } : null;
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
