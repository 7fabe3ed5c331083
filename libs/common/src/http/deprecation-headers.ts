/**
 * Response headers that tell a client it is calling something on its way out:
 * `Deprecation: @<unix seconds>` (RFC 9745), `Sunset: <IMF-fixdate>` (RFC 8594) and a
 * `Link` to the successor (`rel="successor-version"`, RFC 5829).
 */
export interface DeprecationInfo {
  deprecatedAt: Date;
  sunsetAt?: Date | null;
  successorPath?: string | null;
}

export function deprecationHeaders(info: DeprecationInfo): Record<string, string> {
  const headers: Record<string, string> = { Deprecation: `@${Math.floor(info.deprecatedAt.getTime() / 1000)}` };
  if (info.sunsetAt) headers.Sunset = info.sunsetAt.toUTCString();
  if (info.successorPath) headers.Link = `<${info.successorPath}>; rel="successor-version"`;
  return headers;
}
