/**
 * multipart/form-data bodies for `app.inject`, built by the platform's own FormData encoder
 * (undici's, via Response) so the wire format is what real clients send.
 */
export interface MultipartFile {
  field: string;
  filename: string;
  data: Buffer;
  contentType?: string;
}

export async function multipart(
  files: MultipartFile[],
  fields: Record<string, string> = {},
): Promise<{ payload: Buffer; headers: { 'content-type': string } }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const f of files) {
    form.append(f.field, new Blob([new Uint8Array(f.data)], { type: f.contentType ?? 'application/octet-stream' }), f.filename);
  }
  const encoded = new Response(form);
  return {
    payload: Buffer.from(await encoded.arrayBuffer()),
    headers: { 'content-type': encoded.headers.get('content-type')! },
  };
}
