/** Debian's chromium, driven by playwright-core (Playwright's own browser download does not work here). */
export const CHROMIUM = '/usr/bin/chromium';

/** A name that is not loopback, resolved to 127.0.0.1 by chromium itself (no DNS needed). */
export const BROWSER_HOST = 'modelgate.test';

/**
 * Headless chromium options for a closed network: without the background-networking flags it keeps
 * calling home; the resolver rule lets pages be opened at http://modelgate.test:<port>.
 */
export const chromiumOptions = {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--host-resolver-rules=MAP ${BROWSER_HOST} 127.0.0.1`,
  ],
};
