import { loadConfigSlice } from '@app/common';
import { webhooksConfig } from './webhooks.config';

describe('webhooksConfig', () => {
  it('allows no destination by default, and retries at least 5 times with the first retry within a minute', () => {
    const config = loadConfigSlice(webhooksConfig, {});
    expect(config.allowedHosts.size).toBe(0);
    expect(config.maxAttempts).toBeGreaterThanOrEqual(5);
    expect(config.backoff.baseMs).toBeLessThanOrEqual(60_000);
    expect(config).toMatchObject({ timeoutMs: 5_000, pollIntervalMs: 1_000 });
  });

  it('reads WEBHOOK_ALLOWED_HOSTS as a normalised set', () => {
    const config = loadConfigSlice(webhooksConfig, { WEBHOOK_ALLOWED_HOSTS: 'Hooks.Example.com, 10.0.0.7' });
    expect([...config.allowedHosts]).toEqual(['hooks.example.com', '10.0.0.7']);
  });

  it('refuses an entry that is a URL rather than a host, naming the variable', () => {
    expect(() => loadConfigSlice(webhooksConfig, { WEBHOOK_ALLOWED_HOSTS: 'https://hooks.example.com' })).toThrow(
      /WEBHOOK_ALLOWED_HOSTS.*not a host name or IP address/,
    );
  });
});
