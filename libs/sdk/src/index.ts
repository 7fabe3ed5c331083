/**
 * The ModelGate TypeScript SDK, generated from openapi.json by `npm run sdk` (@hey-api/openapi-ts).
 * Every operation is a function named by its operationId; pass `client` to target a server.
 */
export * from './generated';
export { createClient, createConfig } from './generated/client';
import { createClient, createConfig } from './generated/client';

export interface ModelGateClientOptions {
  baseUrl: string;
  /** Bearer access token (from login or client credentials) ... */
  accessToken?: string;
  /** ... or a service account's API key. */
  apiKey?: string;
  fetch?: typeof fetch;
}

/** A client with ModelGate's credentials wired in. */
export function createModelGateClient(options: ModelGateClientOptions) {
  const headers: Record<string, string> = {};
  if (options.accessToken) headers.authorization = `Bearer ${options.accessToken}`;
  if (options.apiKey) headers['x-api-key'] = options.apiKey;
  return createClient(createConfig({ baseUrl: options.baseUrl, headers, fetch: options.fetch }));
}
