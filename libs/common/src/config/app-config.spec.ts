import { ConfigValidationError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.http.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.database.embeddedDir).toMatch(/data[/\\]pglite$/);
    expect(config.jwt.accessTtlSeconds).toBe(900);
    expect(config.jwt.secret.length).toBeGreaterThanOrEqual(32);
    expect(Object.isFrozen(config.jwt)).toBe(true);
  });

  it('fails fast naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
    try {
      loadConfig({ LOG_LEVEL: 'loud' });
      throw new Error('expected a ConfigValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      expect((error as ConfigValidationError).issues[0].variable).toBe('LOG_LEVEL');
    }
  });

  it('refuses a missing or weak JWT_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'secret' })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(40) })).toThrow(/JWT_SECRET/);
    const ok = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'q8Z1v0LrT5mN2xW7yB4cK9pD3sF6hJ0a' });
    expect(ok.jwt.secret).toBe('q8Z1v0LrT5mN2xW7yB4cK9pD3sF6hJ0a');
  });

  it('requires both RS256 key files together', () => {
    expect(() => loadConfig({ JWT_PRIVATE_KEY_FILE: '/k.pem' })).toThrow(/JWT_PUBLIC_KEY_FILE/);
  });

  it('reads the embedded database location and in-memory mode', () => {
    expect(loadConfig({ PGLITE_DATA_DIR: 'memory' }).database.embeddedDir).toBe('memory');
    expect(loadConfig({ DATA_DIR: '/srv/mg' }).database.embeddedDir).toBe('/srv/mg/pglite');
  });
});
