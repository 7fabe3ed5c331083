/**
 * @modelgate/sdk: the ModelGate API for TypeScript and JavaScript (ESM and CommonJS, Node 20+ and browsers).
 *
 * - `ModelGateClient`: authentication (API key, auto-refreshed bearer tokens, client credentials),
 *   retries, typed errors (`ModelGateError`), uploads and training events, for the everyday flows;
 * - every generated operation (named by its operationId, from openapi.json by `npm run openapi`)
 *   and type, for everything else: pass `client: mg.api` to use the ModelGateClient's credentials.
 */
export * from './generated';
export { createClient, createConfig } from './generated/client';
export type { Client, Config } from './generated/client';
export * from './auth';
export * from './client';
export * from './errors';
export * from './retry';
export * from './training-events';
export * from './upload-progress';
export * from './uploads';
export { SDK_VERSION } from './version';
import { type Client, createClient, createConfig } from './generated/client';

/** Options of `createModelGateClient` (the generated client with static credentials). */
export interface ModelGateClientConfig {
  baseUrl: string;
  /** Bearer access token (from login or client credentials) ... */
  accessToken?: string;
  /** ... or a service account's API key. */
  apiKey?: string;
  fetch?: typeof fetch;
}

/**
 * The generated client with static credentials wired in (no refresh, retries or typed errors: see
 * `ModelGateClient` for those).
 */
export function createModelGateClient(options: ModelGateClientConfig): Client {
  if (options.accessToken && options.apiKey) throw new TypeError('createModelGateClient: give accessToken or apiKey, not both');
  const headers: Record<string, string> = {};
  if (options.accessToken) headers.authorization = `Bearer ${options.accessToken}`;
  if (options.apiKey) headers['x-api-key'] = options.apiKey;
  return createClient(createConfig({ baseUrl: options.baseUrl, headers, fetch: options.fetch }));
}
