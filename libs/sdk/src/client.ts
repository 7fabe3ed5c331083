import { type Credentials, jwtExpiry, type TokenSet } from './auth';
import { dataOf, isModelGateError, networkError, type OperationResult } from './errors';
import { type Client, createClient, createConfig } from './generated/client';
import {
  cancelTrainingJob,
  createApiKey,
  createModel,
  createTrainingJob,
  getMe,
  getModel,
  getModelVersion,
  getTrainingJob,
  getUsage,
  issueToken,
  listApiKeys,
  listDatasets,
  listModels,
  listModelVersions,
  listTrainingJobs,
  login,
  logout,
  predict,
  predictWithAlias,
  predictWithVersion,
  refreshTokens,
  revokeApiKey,
  transitionModelVersion,
  updateModelVersion,
  uploadDataset,
  uploadModelVersion,
} from './generated/sdk.gen';
import type {
  CreateApiKeyDto,
  CreateModelDto,
  CreateTrainingJobDto,
  GetUsageData,
  ListApiKeysData,
  ListDatasetsData,
  ListModelsData,
  ListModelVersionsData,
  ListTrainingJobsData,
  PredictRequestDto,
  TokenPairDto,
  TransitionVersionDto,
  UpdateVersionDto,
} from './generated/types.gen';
import { type RetryOptions, retryModeFor, withRetries } from './retry';
import { followTrainingEvents, type TrainingEvent, type TrainingEventsOptions } from './training-events';
import { uploadProgressFetch, type UploadProgressListener } from './upload-progress';
import { datasetUploadBody, type FileInput, type VersionMetadata, type VersionSource, versionUploadBody } from './uploads';

export interface ModelGateClientSettings {
  /** The API's origin, e.g. `https://modelgate.example.com` (no `/v1`). */
  baseUrl: string;
  /** Retries of refused (429, 503) and unanswered idempotent calls; `false` turns them off. */
  retry?: RetryOptions | false;
  /** Renew a bearer token this many seconds before it expires (default 30). */
  refreshBeforeExpirySeconds?: number;
  /** Called whenever the session's tokens change (sign-in, refresh): persist the refresh token here, it is single use. */
  onTokens?: (tokens: TokenSet) => void | Promise<void>;
  /** Headers sent with every call (authentication headers excepted: the client sets those). */
  headers?: Record<string, string>;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** `new ModelGateClient({ baseUrl, apiKey })`, `{ baseUrl, token, refreshToken }`, `{ baseUrl, email, password }` or `{ baseUrl, clientId, clientSecret }`. */
export type ModelGateClientOptions = ModelGateClientSettings & Credentials;

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface UploadOptions extends CallOptions {
  /** Called as the body is sent (browsers; Node uploads report nothing). */
  onUploadProgress?: UploadProgressListener;
}

export interface PredictOptions extends CallOptions {
  /** A given version instead of the production one. */
  version?: number;
  /** A given alias instead of the production version. */
  alias?: string;
  /**
   * Retry this POST when the server refuses it for now (429, 503 with `Retry-After`), as idempotent
   * calls are. Off by default; a lost answer (network error) is never retried.
   */
  retry?: boolean;
}

type Session =
  | { kind: 'anonymous' }
  | { kind: 'api-key'; apiKey: string }
  | { kind: 'user'; accessToken?: string; refreshToken?: string; expiresAt?: number; email?: string; password?: string }
  | { kind: 'client-credentials'; clientId: string; clientSecret: string; accessToken?: string; expiresAt?: number };

interface FetchPolicy {
  authenticate: boolean;
  optInRetry?: boolean;
  /** Sends instead of the client's fetch (an upload that reports its progress). */
  transport?: typeof fetch;
}

/** Codes of a 401 after which a renewed token may succeed. */
const RENEWABLE = new Set(['TOKEN_EXPIRED', 'TOKEN_REVOKED', 'TOKEN_INVALID']);

/**
 * ModelGate's API with its credentials, retries and errors handled:
 * - authentication: an API key (`X-API-Key`), or a bearer token renewed before it expires and when the
 *   server answers 401 `TOKEN_EXPIRED` (one renewal at a time, however many calls wait on it; the
 *   call is then sent again once); never both headers;
 * - retries with exponential backoff and jitter, honouring `Retry-After`, on 429/503 for idempotent
 *   calls (and network errors), for predictions only when asked (`{ retry: true }`);
 * - every failure is thrown as a `ModelGateError` carrying the problem document.
 *
 * `client.api` is the generated client with all of this wired in, for any generated operation:
 * `getModelMetadataV2({ client: mg.api, path: { name } })`.
 */
export class ModelGateClient {
  /** The generated client (authenticated, retried): pass it as `client` to any generated operation. */
  readonly api: Client;
  private readonly anonymous: Client;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly settings: ModelGateClientSettings;
  private session: Session;
  private renewing: Promise<void> | undefined;

  constructor(options: ModelGateClientOptions) {
    const { baseUrl, retry, refreshBeforeExpirySeconds, onTokens, headers, fetch: fetchImpl, ...credentials } = options;
    if (!baseUrl) throw new TypeError('ModelGateClient: baseUrl is required');
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.settings = { baseUrl: this.baseUrl, retry, refreshBeforeExpirySeconds, onTokens, headers };
    this.fetchImpl = fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
    this.session = sessionFrom(credentials as Credentials);
    this.api = createClient(createConfig({ baseUrl: this.baseUrl, headers, fetch: this.fetcher({ authenticate: true }) }));
    this.anonymous = createClient(createConfig({ baseUrl: this.baseUrl, headers, fetch: this.fetcher({ authenticate: false }) }));
  }

  /** The session's current tokens (undefined for API keys and before the first sign-in). */
  get tokens(): TokenSet | undefined {
    const s = this.session;
    if ((s.kind === 'user' || s.kind === 'client-credentials') && s.accessToken) {
      return { accessToken: s.accessToken, refreshToken: s.kind === 'user' ? s.refreshToken : undefined, expiresAt: s.expiresAt };
    }
    return undefined;
  }

  // ---- Authentication ------------------------------------------------------------------------

  /** Signs in (`POST /v1/auth/login`); later calls use this session. Without arguments, the email and password the client was made with. */
  async login(email?: string, password?: string, options: CallOptions = {}): Promise<TokenPairDto> {
    const s = this.session;
    const e = email ?? (s.kind === 'user' ? s.email : undefined);
    const p = password ?? (s.kind === 'user' ? s.password : undefined);
    if (!e || !p) throw new TypeError('login: email and password are required');
    const pair = await this.unwrap(
      login({ client: this.anonymous, body: { email: e, password: p }, signal: options.signal, fetch: this.optIn(true, false) }),
    );
    await this.adoptPair(pair, { email: e, password: p });
    return pair;
  }

  /** Ends the session (`POST /v1/auth/logout` with its refresh token) and forgets its tokens. */
  async logout(options: CallOptions = {}): Promise<void> {
    const s = this.session;
    if (s.kind === 'user' && s.refreshToken) {
      await this.unwrap(logout({ client: this.anonymous, body: { refreshToken: s.refreshToken }, signal: options.signal }));
    }
    this.session = { kind: 'anonymous' };
  }

  /** Renews the bearer token now (refresh token, client credentials, or signing in again). */
  refresh(): Promise<void> {
    return this.renew(undefined);
  }

  /** Who the credentials belong to. */
  me(options: CallOptions = {}) {
    return this.unwrap(getMe({ client: this.api, signal: options.signal }));
  }

  // ---- Registry ---------------------------------------------------------------------------------

  readonly models = {
    list: (query: ListModelsData['query'] = {}, options: CallOptions = {}) =>
      this.unwrap(listModels({ client: this.api, query, signal: options.signal })),
    create: (body: CreateModelDto, options: CallOptions = {}) =>
      this.unwrap(createModel({ client: this.api, body, signal: options.signal })),
    get: (name: string, options: CallOptions = {}) => this.unwrap(getModel({ client: this.api, path: { name }, signal: options.signal })),
  };

  readonly versions = {
    list: (model: string, query: ListModelVersionsData['query'] = {}, options: CallOptions = {}) =>
      this.unwrap(listModelVersions({ client: this.api, path: { name: model }, query, signal: options.signal })),
    get: (model: string, version: number, options: CallOptions = {}) =>
      this.unwrap(getModelVersion({ client: this.api, path: { name: model, version }, signal: options.signal })),
    /** Uploads a new draft version from files, a directory or an archive; `labels`, `metrics` and `params` are plain values. */
    upload: async (model: string, source: VersionSource, metadata: VersionMetadata = {}, options: UploadOptions = {}) =>
      this.unwrap(
        uploadModelVersion({
          client: this.api,
          path: { name: model },
          body: await versionUploadBody(source, metadata),
          signal: options.signal,
          fetch: this.uploader(options),
        }),
      ),
    /** Moves a version to another stage (`POST .../transitions`). */
    transition: (model: string, version: number, body: TransitionVersionDto, options: CallOptions & { ifMatch?: string } = {}) =>
      this.unwrap(
        transitionModelVersion({
          client: this.api,
          path: { name: model, version },
          body,
          signal: options.signal,
          headers: options.ifMatch ? { 'if-match': options.ifMatch } : undefined,
        }),
      ),
    /**
     * Changes a version's `description` or `labels`, or moves the `sunsetAt` of a deprecated version
     * (`PATCH .../versions/{version}`; 409 `MODEL_VERSION_NOT_DEPRECATED` for any other stage).
     */
    update: (model: string, version: number, body: UpdateVersionDto, options: CallOptions & { ifMatch?: string } = {}) =>
      this.unwrap(
        updateModelVersion({
          client: this.api,
          path: { name: model, version },
          body,
          signal: options.signal,
          headers: options.ifMatch ? { 'if-match': options.ifMatch } : undefined,
        }),
      ),
    /**
     * Promotes a version (to `production` unless `to` says otherwise). `force: true` (admins only)
     * overrides the signature guard's 409 `SIGNATURE_MISMATCH`. Answers the version in its new stage,
     * or (202) a pending promotion request when the model requires approval: `'stage' in result` tells which.
     */
    promote: (
      model: string,
      version: number,
      options: CallOptions & { to?: TransitionVersionDto['to']; reason?: string; force?: boolean; ifMatch?: string } = {},
    ) =>
      this.versions.transition(
        model,
        version,
        {
          to: options.to ?? 'production',
          ...(options.reason ? { reason: options.reason } : {}),
          ...(options.force !== undefined ? { force: options.force } : {}),
        },
        options,
      ),
  };

  // ---- Predictions ------------------------------------------------------------------------------

  /** Predicts with the production version (or `version` / `alias`): rows in, predictions (and labels) out. */
  predict(model: string, instances: PredictRequestDto['instances'], options: PredictOptions = {}) {
    const common = { client: this.api, body: { instances }, signal: options.signal, fetch: this.optIn(options.retry === true) };
    if (options.version !== undefined && options.alias !== undefined) throw new TypeError('predict: give version or alias, not both');
    if (options.version !== undefined)
      return this.unwrap(predictWithVersion({ ...common, path: { name: model, version: options.version } }));
    if (options.alias !== undefined) return this.unwrap(predictWithAlias({ ...common, path: { name: model, alias: options.alias } }));
    return this.unwrap(predict({ ...common, path: { name: model } }));
  }

  // ---- Datasets and training --------------------------------------------------------------------

  readonly datasets = {
    /** Uploads a CSV (with a header) or JSON-lines file, by path (Node) or as a File; `name` defaults to the file's. */
    upload: async (file: string | FileInput, options: UploadOptions & { name?: string } = {}) =>
      this.unwrap(
        uploadDataset({
          client: this.api,
          body: await datasetUploadBody(file, options.name),
          signal: options.signal,
          fetch: this.uploader(options),
        }),
      ),
    list: (query: ListDatasetsData['query'] = {}, options: CallOptions = {}) =>
      this.unwrap(listDatasets({ client: this.api, query, signal: options.signal })),
  };

  readonly trainingJobs = {
    create: (body: CreateTrainingJobDto, options: CallOptions = {}) =>
      this.unwrap(createTrainingJob({ client: this.api, body, signal: options.signal })),
    get: (id: string, options: CallOptions = {}) => this.unwrap(getTrainingJob({ client: this.api, path: { id }, signal: options.signal })),
    list: (query: ListTrainingJobsData['query'] = {}, options: CallOptions = {}) =>
      this.unwrap(listTrainingJobs({ client: this.api, query, signal: options.signal })),
    cancel: (id: string, options: CallOptions = {}) =>
      this.unwrap(cancelTrainingJob({ client: this.api, path: { id }, signal: options.signal })),
  };

  /**
   * A training job's events as they happen: `progress` (one per epoch) then `status` (the finished
   * job), typed; the iteration ends after `status`.
   *
   * ```ts
   * for await (const e of mg.trainingEvents(job.id)) {
   *   if (e.type === 'progress') console.log(e.data.epoch, e.data.loss);
   *   else console.log(e.data.status, e.data.metrics);
   * }
   * ```
   */
  trainingEvents(jobId: string, options: TrainingEventsOptions = {}): AsyncIterable<TrainingEvent> {
    const url = `${this.baseUrl}/v1/training-jobs/${encodeURIComponent(jobId)}/events`;
    const send = this.fetcher({ authenticate: true });
    return followTrainingEvents(
      (headers, signal) => send(url, { method: 'GET', headers: { ...this.settings.headers, ...headers }, signal }),
      options,
    );
  }

  // ---- Administration ---------------------------------------------------------------------------

  readonly apiKeys = {
    /** Creates a service account; the answer holds its `key` and `clientSecret`, shown only this once. */
    create: (body: CreateApiKeyDto, options: CallOptions = {}) =>
      this.unwrap(createApiKey({ client: this.api, body, signal: options.signal })),
    list: (query: ListApiKeysData['query'] = {}, options: CallOptions = {}) =>
      this.unwrap(listApiKeys({ client: this.api, query, signal: options.signal })),
    revoke: async (id: string, options: CallOptions = {}): Promise<void> => {
      await this.unwrap(revokeApiKey({ client: this.api, path: { id }, signal: options.signal }));
    },
  };

  /**
   * Requests, rows, errors and latencies per model, version or caller (admin); with `interval`
   * (`hour` | `day`) per group and UTC time bucket, with `model` one model's only. Callers come
   * with their `name`.
   */
  usage(query: GetUsageData['query'] = {}, options: CallOptions = {}) {
    return this.unwrap(getUsage({ client: this.api, query, signal: options.signal }));
  }

  // ---- Plumbing ---------------------------------------------------------------------------------

  /** The data of a generated operation's result, or its failure as a ModelGateError. */
  private unwrap<T>(call: Promise<OperationResult<T>>): Promise<T> {
    return dataOf(call);
  }

  /** The client's fetch, over a transport that reports upload progress when asked to (and able to). */
  private uploader(options: UploadOptions): typeof fetch | undefined {
    const transport = options.onUploadProgress && uploadProgressFetch(options.onUploadProgress);
    return transport ? this.fetcher({ authenticate: true, transport }) : undefined;
  }

  private optIn(retry: boolean, authenticate = true): typeof fetch {
    return this.fetcher({ authenticate, optInRetry: retry });
  }

  /**
   * A fetch that authenticates (per the session), retries (per the method and policy) and renews an
   * expired token once. Network failures are thrown as ModelGateError `NETWORK_ERROR`.
   */
  private fetcher(policy: FetchPolicy): typeof fetch {
    return async (input, init) => {
      const request = new Request(input, init);
      const body = request.body ? await request.arrayBuffer() : undefined;
      const mode = retryModeFor(request.method, policy.optInRetry);
      let token: string | undefined;
      const exchange = async () => {
        const headers = new Headers(request.headers);
        headers.delete('authorization');
        headers.delete('x-api-key');
        if (policy.authenticate) {
          const auth = await this.authorization();
          token = auth?.token;
          if (auth) headers.set(auth.header, auth.value);
        }
        try {
          return await (policy.transport ?? this.fetchImpl)(request.url, {
            method: request.method,
            headers,
            body,
            signal: request.signal,
            redirect: request.redirect,
          });
        } catch (error) {
          if (request.signal.aborted) throw error;
          throw networkError(error);
        }
      };
      let response = await withRetries(exchange, mode, this.settings.retry, request.signal);
      if (response.status === 401 && policy.authenticate && this.canRenew() && RENEWABLE.has(await problemCode(response))) {
        await response.body?.cancel().catch(() => undefined);
        await this.renew(token);
        response = await withRetries(exchange, mode, this.settings.retry, request.signal);
      }
      return response;
    };
  }

  /** The authentication header for the next call, renewing the token first when it is (nearly) expired. */
  private async authorization(): Promise<{ header: string; value: string; token?: string } | undefined> {
    if (this.session.kind === 'api-key') return { header: 'x-api-key', value: this.session.apiKey };
    if (this.session.kind === 'anonymous') return undefined;
    const skew = (this.settings.refreshBeforeExpirySeconds ?? 30) * 1000;
    const { accessToken, expiresAt } = this.session;
    if (this.canRenew() && (!accessToken || (expiresAt !== undefined && Date.now() >= expiresAt - skew))) await this.renew(accessToken);
    const token = this.session.kind === 'user' || this.session.kind === 'client-credentials' ? this.session.accessToken : undefined;
    return token ? { header: 'authorization', value: `Bearer ${token}`, token } : undefined;
  }

  private canRenew(): boolean {
    const s = this.session;
    return s.kind === 'client-credentials' || (s.kind === 'user' && (!!s.refreshToken || (!!s.email && !!s.password)));
  }

  /**
   * Renews the token, once for all the calls waiting on it: the token they failed with (or found
   * expired) is compared with the current one, so a renewal that already happened is not repeated.
   */
  private renew(staleToken: string | undefined): Promise<void> {
    const s = this.session;
    const current = s.kind === 'user' || s.kind === 'client-credentials' ? s.accessToken : undefined;
    if (staleToken !== undefined && current !== undefined && current !== staleToken && !this.renewing) return Promise.resolve();
    this.renewing ??= this.doRenew().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async doRenew(): Promise<void> {
    const s = this.session;
    if (s.kind === 'client-credentials') {
      const token = await this.unwrap(
        issueToken({
          client: this.anonymous,
          body: { grant_type: 'client_credentials', client_id: s.clientId, client_secret: s.clientSecret },
          fetch: this.optIn(true, false),
        }),
      );
      this.session = { ...s, accessToken: token.access_token, expiresAt: Date.now() + token.expires_in * 1000 };
      await this.settings.onTokens?.({ accessToken: token.access_token, expiresAt: this.session.expiresAt });
      return;
    }
    if (s.kind !== 'user') return;
    if (s.refreshToken) {
      try {
        const pair = await this.unwrap(
          refreshTokens({ client: this.anonymous, body: { refreshToken: s.refreshToken }, fetch: this.optIn(true, false) }),
        );
        await this.adoptPair(pair, s);
        return;
      } catch (error) {
        // A refresh token that is used up, expired or revoked: sign in again when the password is known.
        if (!(isModelGateError(error) && error.status === 401 && s.email && s.password)) throw error;
      }
    }
    if (s.email && s.password) await this.login(s.email, s.password);
  }

  private async adoptPair(pair: TokenPairDto, known: { email?: string; password?: string }): Promise<void> {
    const expiresAt = Date.now() + pair.expiresIn * 1000;
    this.session = {
      kind: 'user',
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      expiresAt,
      email: known.email,
      password: known.password,
    };
    await this.settings.onTokens?.({ accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresAt });
  }
}

function sessionFrom(c: Credentials): Session {
  const kinds = [
    c.apiKey !== undefined,
    c.token !== undefined || c.refreshToken !== undefined,
    c.email !== undefined || c.password !== undefined,
    c.clientId !== undefined || c.clientSecret !== undefined,
  ];
  if (kinds.filter(Boolean).length > 1) {
    throw new TypeError(
      'ModelGateClient: give one kind of credentials (apiKey, token/refreshToken, email/password or clientId/clientSecret)',
    );
  }
  if (c.apiKey !== undefined) return { kind: 'api-key', apiKey: c.apiKey };
  if (c.clientId !== undefined || c.clientSecret !== undefined) {
    if (!c.clientId || !c.clientSecret) throw new TypeError('ModelGateClient: clientId and clientSecret go together');
    return { kind: 'client-credentials', clientId: c.clientId, clientSecret: c.clientSecret };
  }
  if (c.email !== undefined || c.password !== undefined) {
    if (!c.email || !c.password) throw new TypeError('ModelGateClient: email and password go together');
    return { kind: 'user', email: c.email, password: c.password };
  }
  if (c.token !== undefined || c.refreshToken !== undefined) {
    const expiresAt = c.expiresAt instanceof Date ? c.expiresAt.getTime() : (c.expiresAt ?? (c.token ? jwtExpiry(c.token) : undefined));
    return { kind: 'user', accessToken: c.token, refreshToken: c.refreshToken, expiresAt };
  }
  return { kind: 'anonymous' };
}

/** The `code` of a problem answer, read from a copy (the answer itself stays unread). */
async function problemCode(response: Response): Promise<string> {
  try {
    const body = (await response.clone().json()) as { code?: unknown };
    return typeof body.code === 'string' ? body.code : '';
  } catch {
    return '';
  }
}
