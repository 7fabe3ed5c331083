import { createConnection, createServer, Server, Socket } from 'node:net';

export interface TcpProxy {
  /** Loopback port the proxy listens on. */
  readonly port: number;
  /** `host:port` to point a client at, e.g. `redis://127.0.0.1:${port}`. */
  readonly address: string;
  /** Simulates the target going away: destroys every open connection and refuses new ones until restore(). */
  cut(): void;
  /** Simulates a target that hangs: connections stay open (new ones are accepted) but no byte moves until restore(). */
  stall(): void;
  /** Accepts and forwards connections again (after cut or stall). */
  restore(): void;
  /** Whether connections are currently forwarded. */
  readonly isCut: boolean;
  close(): Promise<void>;
}

/**
 * A loopback TCP forwarder for fault tests (Redis, Postgres...): clients connect to it instead of
 * the real server, and the test can cut and restore the link. While cut, new connections are
 * accepted and reset at once (the client sees ECONNRESET, as with a dead peer), so clients retry
 * instead of hanging.
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let cut = false;
  let stalled = false;
  const reset = (socket: Socket) => {
    try {
      socket.resetAndDestroy();
    } catch {
      socket.destroy(); // not connected yet: nothing to reset
    }
  };
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server: Server = createServer((client) => {
    if (cut) {
      reset(client);
      return;
    }
    track(client);
    const upstream = createConnection({ host: targetHost, port: targetPort });
    track(upstream);
    if (stalled) [client, upstream].forEach((socket) => socket.pause());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  return {
    port,
    address: `127.0.0.1:${port}`,
    get isCut() {
      return cut;
    },
    cut() {
      cut = true;
      for (const socket of sockets) reset(socket);
      sockets.clear();
    },
    stall() {
      stalled = true;
      for (const socket of sockets) socket.pause();
    },
    restore() {
      cut = false;
      stalled = false;
      for (const socket of sockets) socket.resume();
    },
    async close() {
      cut = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
