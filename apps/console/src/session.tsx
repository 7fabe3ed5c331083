import {
  createClient,
  createConfig,
  errorFromResponse,
  isModelGateError,
  login,
  type MeDto,
  ModelGateClient,
  networkError,
  type TokenSet,
} from '@modelgate/sdk';
import { problemMessage } from './ui';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';

export type Role = MeDto['roles'][number];
const RANK: Record<Role, number> = { consumer: 0, 'ml-engineer': 1, admin: 2 };

/** The refresh token lives in sessionStorage (a reload keeps the session; closing the tab ends it); the access token only in memory. */
const REFRESH_KEY = 'modelgate.console.refreshToken';

export interface Session {
  client: ModelGateClient;
  me: MeDto;
  /** The caller's highest role. */
  role: Role;
  /** Whether the caller's role includes `role` (consumer < ml-engineer < admin). */
  can(role: Role): boolean;
}

type State = { status: 'restoring' } | { status: 'signed-out'; notice?: string } | { status: 'signed-in'; session: Session };

interface SessionApi {
  state: State;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionApi | undefined>(undefined);

const baseUrl = window.location.origin;

function remember(tokens: TokenSet): void {
  if (tokens.refreshToken) sessionStorage.setItem(REFRESH_KEY, tokens.refreshToken);
}

function highest(roles: readonly Role[]): Role {
  return roles.reduce<Role>((best, r) => (RANK[r] > RANK[best] ? r : best), 'consumer');
}

async function open(client: ModelGateClient): Promise<Session> {
  const me = await client.me();
  const role = highest(me.roles);
  return { client, me, role, can: (r) => RANK[role] >= RANK[r] };
}

/**
 * The one restoration of this page load: a refresh token is single use, so however many times the
 * effect runs (React's StrictMode runs it twice in development), it is spent once.
 */
let restoration: Promise<Session> | undefined;

export function SessionProvider({ children }: { children: ReactNode }) {
  // Read once per page load: later refresh tokens (onTokens) must not restart the restoration.
  const [stored] = useState(() => sessionStorage.getItem(REFRESH_KEY));
  const [state, setState] = useState<State>(stored ? { status: 'restoring' } : { status: 'signed-out' });

  // A reload: renew the session from the stored refresh token (no request at all without one).
  useEffect(() => {
    if (!stored) return;
    let cancelled = false;
    restoration ??= open(new ModelGateClient({ baseUrl, refreshToken: stored, onTokens: remember }));
    restoration.then(
      (session) => !cancelled && setState({ status: 'signed-in', session }),
      (error: unknown) => {
        // A refused refresh token (expired, revoked, used) ends the session; anything else (the server
        // unreachable, busy) keeps it for the next reload and says what happened.
        const ended = isModelGateError(error) && error.status === 401;
        if (ended) sessionStorage.removeItem(REFRESH_KEY);
        const notice = ended
          ? 'Your session has ended. Please sign in again.'
          : `Your session could not be restored: ${problemMessage(error)}`;
        if (!cancelled) setState({ status: 'signed-out', notice });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [stored]);

  const signIn = useCallback(async (email: string, password: string) => {
    // The login call itself is anonymous; the password is not kept once the tokens are in.
    const anonymous = createClient(createConfig({ baseUrl }));
    let result: Awaited<ReturnType<typeof login>>;
    try {
      result = await login({ client: anonymous, body: { email, password } });
    } catch (error) {
      throw networkError(error);
    }
    if (!result.response?.ok || !result.data) {
      if (!result.response) throw networkError(result.error);
      throw errorFromResponse(result.response, result.error);
    }
    const pair = result.data;
    remember(pair);
    const client = new ModelGateClient({
      baseUrl,
      token: pair.accessToken,
      refreshToken: pair.refreshToken,
      expiresAt: Date.now() + pair.expiresIn * 1000,
      onTokens: remember,
    });
    setState({ status: 'signed-in', session: await open(client) });
  }, []);

  const signOut = useCallback(async () => {
    if (state.status === 'signed-in') {
      // Revokes the refresh token; the session ends here whatever the answer.
      await state.session.client.logout().catch(() => undefined);
    }
    sessionStorage.removeItem(REFRESH_KEY);
    setState({ status: 'signed-out' });
  }, [state]);

  const api = useMemo(() => ({ state, signIn, signOut }), [state, signIn, signOut]);
  return <SessionContext.Provider value={api}>{children}</SessionContext.Provider>;
}

export function useSessionApi(): SessionApi {
  const api = useContext(SessionContext);
  if (!api) throw new Error('useSessionApi outside SessionProvider');
  return api;
}

/** The signed-in session (pages under the signed-in layout only). */
export function useSession(): Session {
  const { state } = useSessionApi();
  if (state.status !== 'signed-in') throw new Error('useSession while signed out');
  return state.session;
}
