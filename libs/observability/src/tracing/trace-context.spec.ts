import { formatTraceparent, newSpanId, newTraceId, parseTraceparent, requestTraceFor } from './trace-context';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('W3C trace context', () => {
  describe('parseTraceparent', () => {
    it('reads a version-00 header: trace id, parent span id, sampled flag', () => {
      expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
      expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: false });
      // Other flag bits are not "sampled".
      expect(parseTraceparent(`00-${TRACE}-${SPAN}-02`)?.sampled).toBe(false);
      expect(parseTraceparent(`00-${TRACE}-${SPAN}-03`)?.sampled).toBe(true);
    });

    it('reads a later version by its version-00 fields, whatever follows after a dash', () => {
      expect(parseTraceparent(`01-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
      expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-holds`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
      expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01x`)).toBeUndefined();
    });

    it.each([
      ['absent', undefined],
      ['empty', ''],
      ['repeated (two headers)', [`00-${TRACE}-${SPAN}-01`, `00-${TRACE}-${SPAN}-01`]],
      ['joined duplicates', `00-${TRACE}-${SPAN}-01, 00-${TRACE}-${SPAN}-01`],
      ['version ff', `ff-${TRACE}-${SPAN}-01`],
      ['version 00 with more fields', `00-${TRACE}-${SPAN}-01-extra`],
      ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
      ['an all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
      ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
      ['a short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
      ['a long span id', `00-${TRACE}-${SPAN}0-01`],
      ['no flags', `00-${TRACE}-${SPAN}`],
      ['non-hex', `00-${TRACE.slice(0, 31)}g-${SPAN}-01`],
      ['surrounding garbage', ` 00-${TRACE}-${SPAN}-01`],
      ['another format entirely', 'Root=1-5759e988-bd862e3fe1be46a994272793'],
    ])('ignores a header that is %s', (_what, header) => {
      expect(parseTraceparent(header)).toBeUndefined();
    });
  });

  it('formats a version-00 header', () => {
    expect(formatTraceparent(TRACE, SPAN, true)).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(formatTraceparent(TRACE, SPAN, false)).toBe(`00-${TRACE}-${SPAN}-00`);
    expect(parseTraceparent(formatTraceparent(TRACE, SPAN, true))).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
  });

  it('makes random, valid, distinct ids', () => {
    const traces = new Set(Array.from({ length: 2000 }, newTraceId));
    const spans = new Set(Array.from({ length: 2000 }, newSpanId));
    expect([traces.size, spans.size]).toEqual([2000, 2000]);
    for (const id of traces) expect(id).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    for (const id of spans) expect(id).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
  });

  describe('requestTraceFor', () => {
    it("continues the caller's trace with a new span of ours under its span", () => {
      const trace = requestTraceFor(`00-${TRACE}-${SPAN}-00`);
      expect(trace).toEqual({ traceId: TRACE, spanId: expect.stringMatching(/^[0-9a-f]{16}$/), parentSpanId: SPAN, sampled: false });
      expect(trace.spanId).not.toBe(SPAN);
    });

    it('starts a new (sampled) trace for a request without a valid traceparent, never failing', () => {
      for (const header of [undefined, 'garbage', `00-${'0'.repeat(32)}-${SPAN}-01`]) {
        const trace = requestTraceFor(header);
        expect(trace).toEqual({
          traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
          spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
          parentSpanId: undefined,
          sampled: true,
        });
        expect(trace.traceId).not.toBe(TRACE);
      }
    });
  });
});
