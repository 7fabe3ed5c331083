/** The credentials a ModelGateClient authenticates with: exactly one kind per client. */

/** A service account's API key, sent as `X-API-Key`. */
export interface ApiKeyCredentials {
  apiKey: string;
}

/**
 * A user session: a bearer access token and/or the refresh token that renews it. With a refresh
 * token the client renews the access token before it expires, and when the server answers 401
 * `TOKEN_EXPIRED` (refresh tokens are single use: keep the newest one, see `onTokens`).
 */
export interface TokenCredentials {
  token?: string;
  refreshToken?: string;
  /** When `token` expires (default: its JWT `exp` claim). */
  expiresAt?: Date | number;
}

/** A user's email and password: the client signs in on its first call, and again if its session ends. */
export interface PasswordCredentials {
  email: string;
  password: string;
}

/** A service account's OAuth2 client credentials: the client obtains a token, and a new one when it expires. */
export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** The tokens of a session, as the client holds them (what `onTokens` receives, to be persisted). */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt?: number;
}

type Keys = keyof ApiKeyCredentials | keyof TokenCredentials | keyof PasswordCredentials | keyof ClientCredentials;
type Only<T> = T & { [K in Exclude<Keys, keyof T>]?: never };

/** One kind of credentials, or none (anonymous: public routes and `login()` only). */
export type Credentials =
  | Only<ApiKeyCredentials>
  | Only<TokenCredentials>
  | Only<PasswordCredentials>
  | Only<ClientCredentials>
  | Only<Record<never, never>>;

/** The `exp` claim of a JWT, in epoch milliseconds (undefined for anything else). */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(
      payload
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(payload.length / 4) * 4, '='),
    );
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
