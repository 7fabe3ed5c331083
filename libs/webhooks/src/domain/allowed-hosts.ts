/**
 * The webhook destination allow-list (WEBHOOK_ALLOWED_HOSTS): host names or IP addresses, any port.
 * Webhooks make this server send requests to URLs an admin typed; without a list, an admin (or a
 * stolen admin token) could point them at internal services (SSRF). Matching is exact on the
 * normalised host: no wildcards, no suffix matching, so `example.com` does not allow `a.example.com`.
 */
export type AllowedHosts = ReadonlySet<string>;

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;
const IPV6 = /^[0-9a-f:.]+$/;

/** Lower case, without IPv6 brackets or a final dot: the form both the list and URLs are compared in. */
export function normaliseHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/** Parses the comma-separated list; throws naming the first entry that is not a bare host or IP. */
export function parseAllowedHosts(raw: string): AllowedHosts {
  const hosts = new Set<string>();
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue;
    const host = normaliseHost(entry);
    const valid = host.includes(':') ? IPV6.test(host) && host.split(':').length >= 3 : HOST_NAME.test(host);
    if (!valid) throw new Error(`"${entry.trim()}" is not a host name or IP address (no scheme, port or path)`);
    hosts.add(host);
  }
  return hosts;
}

export type DestinationCheck =
  | { ok: true; url: URL }
  | { ok: false; reason: 'invalid-url' | 'scheme' | 'credentials' }
  | { ok: false; reason: 'host'; host: string };

/** Whether a webhook may be sent to `url`: http(s), no user info, and its host in the list. */
export function checkDestination(url: string, allowed: AllowedHosts): DestinationCheck {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'invalid-url' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { ok: false, reason: 'scheme' };
  if (parsed.username || parsed.password) return { ok: false, reason: 'credentials' };
  const host = normaliseHost(parsed.hostname);
  if (!allowed.has(host)) return { ok: false, reason: 'host', host };
  return { ok: true, url: parsed };
}
