import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, sendProblem } from '@app/common';

/** Where the web console is served (same origin as the API; CONTRACT.md "Console"). */
export const CONSOLE_PATH = '/console';

/**
 * Serves the built console (`npm run build` → CONSOLE_DIR, default dist/console) at /console/:
 * hashed files under /console/assets/ cached for a year (immutable), and index.html, not cached, for
 * /console/ and every client-side route under it. Without a build (tests and `start:dev` run from
 * sources), /console/ answers a 503 problem saying how to build it. The console's CSP is set by the
 * security-headers stage (request-pipeline.ts) for everything under /console.
 */
export async function serveConsole(app: NestFastifyApplication, dir: string): Promise<void> {
  const root = resolve(dir);
  const indexFile = join(root, 'index.html');
  const fastify = app.getHttpAdapter().getInstance();
  const built = existsSync(indexFile);
  if (built) {
    await app.register(fastifyStatic, {
      root: join(root, 'assets'),
      prefix: `${CONSOLE_PATH}/assets/`,
      decorateReply: false,
      index: false,
      list: false,
      immutable: true,
      maxAge: 31_536_000_000,
    });
  }
  // Read once: the build does not change under a running server (a new build is a new deployment).
  const index = built ? readFileSync(indexFile) : undefined;
  const logger = new Logger('Console');
  const page = (request: FastifyRequest, reply: FastifyReply) => {
    if (!index) {
      const detail = `The web console has not been built: run \`npm run build\` (it is served from ${root}, CONSOLE_DIR).`;
      sendProblem(new DomainError('unavailable', 'SERVICE_UNAVAILABLE', detail), request, reply, logger);
      return reply;
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
  };
  fastify.get(CONSOLE_PATH, page);
  fastify.get(`${CONSOLE_PATH}/*`, page);
}
