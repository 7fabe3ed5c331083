import helmet, { HelmetOptions } from 'helmet';
import type { FastifyInstance } from 'fastify';

/**
 * helmet's headers, computed once. Our helmet options are static (no CSP nonces), so every
 * response gets the same header set; @fastify/helmet builds a new helmet middleware and re-derives
 * the CSP string on every request, which `npm run bench` measured at ~7% of a predict call's CPU.
 */
export function securityHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const csp = options.contentSecurityPolicy;
  const directives = typeof csp === 'object' && csp !== null ? Object.values(csp.directives ?? {}) : [];
  if (directives.some((d) => typeof d === 'function' || (Array.isArray(d) && d.some((v) => typeof v === 'function')))) {
    throw new Error('CSP directives computed per request (nonces) cannot be precomputed');
  }
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`helmet header ${name} is not a single value`);
      headers[name] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name];
    },
  };
  let completed = false;
  helmet(options)({} as never, res as never, (error?: unknown) => {
    if (error) throw error;
    completed = true;
  });
  // helmet's middleware is synchronous for static options; anything else would need per-request work.
  if (!completed) throw new Error('helmet did not complete synchronously');
  return headers;
}

/**
 * Two header sets: helmet's full set on the HTML we serve (Swagger UI under `documentsPrefix`), and on
 * JSON answers the set OWASP's REST Security Cheat Sheet lists for APIs (the others only act on
 * documents a browser renders), which keeps every API response, predictions included, small.
 */
export function installSecurityHeaders(
  fastify: FastifyInstance,
  options: {
    api: Readonly<HelmetOptions>;
    documents: Readonly<HelmetOptions>;
    documentsPrefix: string;
    /** The web console's pages and assets (their own CSP: the console's files only). */
    console?: { prefix: string; options: Readonly<HelmetOptions> };
  },
): void {
  const api = securityHeaders(options.api);
  const documents = securityHeaders(options.documents);
  const consoleSet = options.console && { prefix: options.console.prefix, headers: securityHeaders(options.console.options) };
  fastify.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    const inConsole =
      consoleSet && (url === consoleSet.prefix || url.startsWith(`${consoleSet.prefix}/`) || url.startsWith(`${consoleSet.prefix}?`));
    void reply.headers(inConsole ? consoleSet.headers : url.startsWith(options.documentsPrefix) ? documents : api);
    done();
  });
}

/** What the OWASP REST cheat sheet asks of a JSON API, through helmet: nothing HTML-only. */
export function apiHeaderOptions(hsts: HelmetOptions['strictTransportSecurity']): HelmetOptions {
  return {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    xFrameOptions: { action: 'deny' },
    xContentTypeOptions: true,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-site' },
    strictTransportSecurity: hsts,
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  };
}

/**
 * helmet's full set for the HTML we serve: Swagger UI under /docs, which loads its own scripts and
 * inline styles from /docs. `upgrade-insecure-requests` only when this server speaks TLS: over plain
 * HTTP, a browser on any host but localhost would fetch the page's scripts over https, from a port
 * that does not speak it, and show a blank page. (Behind a TLS-terminating proxy the page is https
 * already, and its scripts are same-origin.)
 */
export function documentHeaderOptions(options: { tls: boolean; hsts: HelmetOptions['strictTransportSecurity'] }): HelmetOptions {
  return {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        // null removes helmet's default directive.
        upgradeInsecureRequests: options.tls ? [] : null,
      },
    },
    strictTransportSecurity: options.hsts,
    crossOriginResourcePolicy: { policy: 'same-site' },
  };
}

/**
 * helmet's full set for the web console (/console/): its own scripts, styles, images and API calls
 * only (same origin), no inline script or style (the console ships CSS files; React sets styles
 * through the CSSOM, which CSP does not govern). `upgrade-insecure-requests` only over TLS, as for
 * the documents.
 */
export function consoleHeaderOptions(options: { tls: boolean; hsts: HelmetOptions['strictTransportSecurity'] }): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(options.tls ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: options.hsts,
    crossOriginResourcePolicy: { policy: 'same-origin' },
    // Browsers ignore COOP on an untrustworthy origin (plain HTTP), and say so in the console.
    crossOriginOpenerPolicy: options.tls ? { policy: 'same-origin' } : false,
    // The API's answers on the same origin do not ask for origin-keying; the pages must not either.
    originAgentCluster: false,
    referrerPolicy: { policy: 'no-referrer' },
  };
}
