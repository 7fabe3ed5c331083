import { checkDestination, parseAllowedHosts } from './allowed-hosts';

describe('parseAllowedHosts', () => {
  it('reads a comma-separated list of host names and IPs, normalised', () => {
    expect([...parseAllowedHosts(' Hooks.Example.com, 127.0.0.1 ,[::1],ci.internal.,')]).toEqual([
      'hooks.example.com',
      '127.0.0.1',
      '::1',
      'ci.internal',
    ]);
  });

  it('is empty by default (no destination allowed)', () => {
    expect(parseAllowedHosts('').size).toBe(0);
    expect(parseAllowedHosts(' , ').size).toBe(0);
  });

  it.each(['https://example.com', 'example.com:8080', 'example.com/path', '*.example.com', 'exa mple.com', 'user@example.com'])(
    'refuses %s (a bare host or IP only)',
    (entry) => {
      expect(() => parseAllowedHosts(entry)).toThrow(/is not a host name or IP address/);
    },
  );
});

describe('checkDestination', () => {
  const allowed = parseAllowedHosts('hooks.example.com,127.0.0.1,::1');

  it('allows http(s) URLs to a listed host on any port', () => {
    for (const url of ['https://hooks.example.com/x', 'http://HOOKS.example.com:8443/a?b=c', 'http://127.0.0.1:9/', 'http://[::1]:3000/']) {
      expect(checkDestination(url, allowed)).toMatchObject({ ok: true });
    }
  });

  it('refuses hosts not listed, exactly (no suffix or prefix matching)', () => {
    for (const url of ['https://a.hooks.example.com/', 'https://hooks.example.com.evil.test/', 'http://127.0.0.2/', 'http://localhost/']) {
      expect(checkDestination(url, allowed)).toMatchObject({ ok: false, reason: 'host' });
    }
  });

  it('refuses other schemes, user info and non-URLs', () => {
    expect(checkDestination('ftp://hooks.example.com/', allowed)).toEqual({ ok: false, reason: 'scheme' });
    expect(checkDestination('file:///etc/passwd', allowed)).toEqual({ ok: false, reason: 'scheme' });
    expect(checkDestination('https://u:p@hooks.example.com/', allowed)).toEqual({ ok: false, reason: 'credentials' });
    expect(checkDestination('hooks.example.com/x', allowed)).toEqual({ ok: false, reason: 'invalid-url' });
  });

  it('refuses everything when the list is empty', () => {
    expect(checkDestination('https://hooks.example.com/', parseAllowedHosts(''))).toMatchObject({ ok: false, reason: 'host' });
  });
});
