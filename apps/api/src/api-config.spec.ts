import { ConfigValidationError } from '@app/common';
import { API_CONFIG_SLICES, loadApiConfig } from './api-config';
import { WORKER_CONFIG_SLICES } from '../../worker/src/worker-config';

describe("the API's composed configuration", () => {
  it('applies defaults for an empty environment', () => {
    const config = loadApiConfig({});
    expect(config.runtime.env).toBe('development');
    expect(config.http.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.database.embeddedDir).toMatch(/data[/\\]pglite$/);
    expect(config.auth.jwt.accessTtlSeconds).toBe(900);
    expect(config.auth.jwt.secret.length).toBeGreaterThanOrEqual(32);
    expect(config.registry.storage).toMatchObject({ kind: 'filesystem' });
    expect(Object.isFrozen(config.auth.jwt)).toBe(true);
  });

  it('fails fast naming the variable, whichever area owns it', () => {
    expect(() => loadApiConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadApiConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
    expect(() => loadApiConfig({ TRAINING_MAX_EPOCHS: '0' })).toThrow(/TRAINING_MAX_EPOCHS/);
    try {
      loadApiConfig({ LOG_LEVEL: 'loud' });
      throw new Error('expected a ConfigValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      expect((error as ConfigValidationError).issues[0].variable).toBe('LOG_LEVEL');
    }
  });

  it('refuses a missing or weak JWT_SECRET in production', () => {
    expect(() => loadApiConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() => loadApiConfig({ NODE_ENV: 'production', JWT_SECRET: 'secret' })).toThrow(/JWT_SECRET/);
    expect(() => loadApiConfig({ NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(40) })).toThrow(/JWT_SECRET/);
    const ok = loadApiConfig({ NODE_ENV: 'production', JWT_SECRET: 'q8Z1v0LrT5mN2xW7yB4cK9pD3sF6hJ0a' });
    expect(ok.auth.jwt.secret).toBe('q8Z1v0LrT5mN2xW7yB4cK9pD3sF6hJ0a');
  });

  it('requires pairs together: RS256 key files, TLS files, S3 credentials; a bucket for the S3 driver', () => {
    expect(() => loadApiConfig({ JWT_PRIVATE_KEY_FILE: '/k.pem' })).toThrow(/JWT_PUBLIC_KEY_FILE/);
    expect(() => loadApiConfig({ TLS_CERT_FILE: '/c.pem' })).toThrow(/TLS_KEY_FILE/);
    expect(() => loadApiConfig({ S3_ACCESS_KEY_ID: 'id' })).toThrow(/S3_SECRET_ACCESS_KEY/);
    expect(() => loadApiConfig({ STORAGE_DRIVER: 's3' })).toThrow(/S3_BUCKET/);
  });

  it('reads the embedded database location and in-memory mode', () => {
    expect(loadApiConfig({ PGLITE_DATA_DIR: 'memory' }).database.embeddedDir).toBe('memory');
    expect(loadApiConfig({ DATA_DIR: '/srv/mg' }).database.embeddedDir).toBe('/srv/mg/pglite');
    expect(loadApiConfig({ DATA_DIR: '/srv/mg' }).registry.storage).toEqual({ kind: 'filesystem', root: '/srv/mg/artifacts' });
  });

  it('chooses S3 when a bucket is configured, path-style for a custom endpoint', () => {
    const { storage } = loadApiConfig({ S3_BUCKET: 'models', S3_ENDPOINT: 'http://minio:9000' }).registry;
    expect(storage).toMatchObject({ kind: 's3', bucket: 'models', endpoint: 'http://minio:9000', forcePathStyle: true });
  });

  it('the worker reads a subset of the same variables, through the same definitions', () => {
    const api = new Map(API_CONFIG_SLICES.map((s) => [s.key, s]));
    for (const slice of WORKER_CONFIG_SLICES) expect(api.get(slice.key)).toBe(slice);
  });
});
