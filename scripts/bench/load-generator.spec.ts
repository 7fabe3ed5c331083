import { parseWrk } from './load-generator';

const REPORT = `Running 10s test @ http://127.0.0.1:39001/v1/models/bench-mlp/predict
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     9.81ms    3.02ms  61.20ms   88.12%
    Req/Sec     6.55k   412.33     7.10k    81.00%
  Latency Distribution
     50%    9.40ms
     75%   10.61ms
     90%   12.05ms
     99%    1.02s
  65210 requests in 10.00s, 24.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 17
Requests/sec:   6519.84
Transfer/sec:      2.41MB
`;

describe('parseWrk', () => {
  it("reads throughput, percentiles in ms whatever wrk's unit, errors and non-2xx answers", () => {
    expect(parseWrk(REPORT)).toEqual({ rps: 6519.84, p50: 9.4, p99: 1020, non2xx: 17, errors: 5, total: 65210 });
    expect(parseWrk(REPORT.replace('9.40ms', '940.00us'))).toMatchObject({ p50: 0.94 });
  });

  it('reports no errors when wrk prints none', () => {
    const clean = REPORT.replace(/^\s+Socket errors.*\n/m, '').replace(/^\s+Non-2xx.*\n/m, '');
    expect(parseWrk(clean)).toMatchObject({ non2xx: 0, errors: 0 });
  });
});
