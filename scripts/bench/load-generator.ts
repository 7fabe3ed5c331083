import autocannon from 'autocannon';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One load run's outcome, whichever generator drove it. */
export interface LoadOutcome {
  rps: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Requests completed. */
  total: number;
}

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  /** POST bodies, sent in turn. */
  bodies: string[];
  connections: number;
  /** wrk takes whole seconds: rounded (at least 1). */
  seconds: number;
}

/**
 * wrk (Debian's `wrk`) when it is on the PATH, else autocannon. wrk is a C program that costs a
 * fraction of autocannon's CPU per request (autocannon, in Node, spends about as much per request
 * as the servers it measures): on a 2-core machine shared by the generator and the server, the
 * generator's cost decides how much CPU is left to serve. BENCH_LOADGEN=autocannon forces the other.
 */
export const LOAD_GENERATOR: 'wrk' | 'autocannon' =
  process.env.BENCH_LOADGEN === 'autocannon' || spawnSync('sh', ['-c', 'command -v wrk']).status !== 0 ? 'autocannon' : 'wrk';

export async function generateLoad(spec: LoadSpec): Promise<LoadOutcome> {
  return LOAD_GENERATOR === 'wrk' ? wrk(spec) : viaAutocannon(spec);
}

async function viaAutocannon(spec: LoadSpec): Promise<LoadOutcome> {
  let n = 0;
  const result = await autocannon({
    url: spec.url,
    method: 'POST',
    connections: spec.connections,
    duration: spec.seconds,
    headers: { 'content-type': 'application/json', ...spec.headers },
    requests: [{ setupRequest: (req) => ({ ...req, body: spec.bodies[n++ % spec.bodies.length] }) }],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
  };
}

/** Sends the bodies in turn (one per line of a file the script reads). */
const SCRIPT = `
local bodies = {}
local n = 0
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
end
function request()
  n = n + 1
  return wrk.format("POST", nil, nil, bodies[(n % #bodies) + 1])
end
`;

async function wrk(spec: LoadSpec): Promise<LoadOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-wrk-'));
  try {
    const script = join(dir, 'bodies.lua');
    const bodies = join(dir, 'bodies.jsonl');
    writeFileSync(script, SCRIPT);
    writeFileSync(bodies, spec.bodies.join('\n') + '\n');
    const headers = Object.entries({ 'content-type': 'application/json', ...spec.headers }).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    const args = [
      '-t1',
      `-c${spec.connections}`,
      `-d${Math.max(1, Math.round(spec.seconds))}s`,
      '--latency',
      ...headers,
      '-s',
      script,
      spec.url,
      '--',
      bodies,
    ];
    const output = await new Promise<string>((resolve, reject) =>
      execFile('wrk', args, { maxBuffer: 1 << 20 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    return parseWrk(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** wrk's text report → the figures; latencies in ms. */
export function parseWrk(output: string): LoadOutcome {
  const ms = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 }[unit] ?? NaN);
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
    return match ? Math.round(ms(match[1], match[2]) * 100) / 100 : NaN;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN),
    p50: percentile('50'),
    p99: percentile('99'),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    errors: socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0,
    total: Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN),
  };
}
