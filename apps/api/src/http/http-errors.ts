import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as PinoInstance } from 'pino';
import { type ErrorCode, PROBLEM_CONTENT_TYPE, problemType, REQUEST_ID_HEADER, sendProblem } from '@app/common';

/**
 * Fastify's router refuses a malformed URL (400) or an over-long path parameter (414) before any
 * hook runs, so neither the request id nor the security headers would be set, and Fastify would
 * answer its own JSON. This answers them as every other error: a problem document from the one
 * renderer, with the headers the hooks would have set.
 */
export function frameworkErrorHandler(apiHeaders: Readonly<Record<string, string>>) {
  const logger = new Logger('HttpErrors');
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    void reply.headers(apiHeaders).header(REQUEST_ID_HEADER, request.id);
    sendProblem(error, request, reply, logger);
  };
}

interface ClientError {
  status: number;
  code: ErrorCode;
  detail: string;
}

function classify(error: NodeJS.ErrnoException): ClientError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'HEADERS_TOO_LARGE', detail: 'The request line and headers are larger than this server accepts.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_REQUEST_HEADERS_TIMEOUT':
      return { status: 408, code: 'REQUEST_TIMEOUT', detail: 'The request was not received in time.' };
    default:
      return { status: 400, code: 'MALFORMED_HTTP_REQUEST', detail: 'The request is not valid HTTP/1.1.' };
  }
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (headers over
 * --max-http-header-size: 431; unparseable HTTP: 400; a request too slow to arrive: 408) and would
 * answer with a bare status line. This writes a minimal problem document instead, with a request id
 * (the caller's cannot be read: the request never parsed) and the API's security headers, then
 * closes the connection, as Node does.
 */
export function clientErrorHandler(apiHeaders: Readonly<Record<string, string>>, logger: PinoInstance) {
  const fixed = Object.entries(apiHeaders)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (error: NodeJS.ErrnoException, socket: Duplex): void => {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, code, detail } = classify(error);
    const requestId = randomUUID();
    logger.info({ requestId, status, code, err: { code: error.code, message: error.message } }, 'request refused by the HTTP parser');
    if (socket.writable) {
      const title = STATUS_CODES[status] ?? 'Error';
      const body = JSON.stringify({ type: problemType(code), title, status, detail, code, requestId });
      socket.write(
        `HTTP/1.1 ${status} ${title}\r\n` +
          `content-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n` +
          `${REQUEST_ID_HEADER}: ${requestId}\r\n` +
          fixed +
          'connection: close\r\n\r\n' +
          body,
      );
    }
    socket.destroy(error);
  };
}
