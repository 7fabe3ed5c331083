import { deprecationHeaders } from './deprecation-headers';

describe('deprecationHeaders', () => {
  it('formats Deprecation as @unix-seconds, Sunset as IMF-fixdate and the successor Link', () => {
    expect(
      deprecationHeaders({
        deprecatedAt: new Date('2026-11-01T12:00:00.900Z'),
        sunsetAt: new Date('2027-01-30T00:00:00Z'),
        successorPath: '/v1/models/iris/versions/3',
      }),
    ).toEqual({
      Deprecation: '@1793534400',
      Sunset: 'Sat, 30 Jan 2027 00:00:00 GMT',
      Link: '</v1/models/iris/versions/3>; rel="successor-version"',
    });
  });

  it('omits what is unknown', () => {
    expect(deprecationHeaders({ deprecatedAt: new Date(0) })).toEqual({ Deprecation: '@0' });
  });
});
