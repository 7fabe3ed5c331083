import { CallHandler, ExecutionContext, Injectable, NestInterceptor, UnsupportedMediaTypeException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { MultipartFile } from '@fastify/multipart';
import { Observable } from 'rxjs';
import { InjectConfig, mapCommonMultipartError, ValidationFailedError } from '@app/common';
import { registryConfig, type RegistryConfig } from '../registry.config';
import type { RawVersionFields } from '../domain/upload-fields';
import { ArtifactTooLargeError, TooManyFilesError } from '../domain/registry-errors';
import { ArtifactUpload } from '../services/artifact-upload';
import { concatChunks } from '../artifacts/yielding';

export type RequestWithUpload = FastifyRequest & { artifactUpload?: ArtifactUpload };

const TEXT_FIELDS = new Set<keyof RawVersionFields>(['description', 'labels', 'metrics', 'params']);
const MAX_TEXT_FIELD_BYTES = 1024 * 1024;
/** `files` and `archive`: a form may send the one left empty as an empty part (skipped), besides the other's parts. */
const FILE_INPUTS = 2;

/**
 * Reads a version upload's multipart body (after the auth guard, before the handler) into an
 * ArtifactUpload, under this route's own limits: MAX_ARTIFACT_BYTES in total (413) and
 * MAX_ARTIFACT_FILES parts. The handler and the service never touch the HTTP stream. An empty
 * `files`/`archive` part (a file input left empty) is skipped; empty text fields are absent
 * (parseVersionFields).
 */
@Injectable()
export class MultipartArtifactInterceptor implements NestInterceptor {
  constructor(@InjectConfig(registryConfig) private readonly config: RegistryConfig) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<RequestWithUpload>();
    if (typeof req.isMultipart !== 'function' || !req.isMultipart()) {
      throw new UnsupportedMediaTypeException('Send multipart/form-data with `files` (model.json + weights) or one `archive`.');
    }
    req.artifactUpload = await this.read(req);
    return next.handle();
  }

  private async read(req: FastifyRequest): Promise<ArtifactUpload> {
    const { maxArtifactBytes, maxArtifactFiles } = this.config;
    const upload: ArtifactUpload = { files: [], archives: [], fields: {} };
    let total = 0;
    try {
      const parts = req.parts({
        // Keep "weights/shard.bin" as sent: model.json may refer to sub-folders. The registry
        // checks every path itself (safeArtifactPath) instead of silently taking the basename.
        preservePath: true,
        limits: {
          fileSize: maxArtifactBytes,
          files: maxArtifactFiles + TEXT_FIELDS.size + FILE_INPUTS,
          fields: TEXT_FIELDS.size + FILE_INPUTS,
          fieldSize: MAX_TEXT_FIELD_BYTES,
          parts: maxArtifactFiles + 2 * TEXT_FIELDS.size + FILE_INPUTS,
        },
      });
      for await (const part of parts) {
        const field = part.fieldname;
        let value: Buffer | string;
        if (part.type === 'file') {
          value = await readFilePart(part);
          total += value.length;
          if (total > maxArtifactBytes) throw new ArtifactTooLargeError(maxArtifactBytes);
        } else {
          value = String(part.value ?? '');
        }
        if (field === 'files' || field === 'files[]' || field === 'archive') {
          // A form (Swagger UI, an HTML form) sends the file input it left empty as an empty part:
          // nothing was chosen, so nothing was sent.
          if (isEmptyPart(part.type === 'file' ? part.filename : undefined, value)) continue;
          if (part.type !== 'file') throw badField(field, `${field} must be a file part (with a filename)`);
          (field === 'archive' ? upload.archives : upload.files).push({ filename: part.filename, data: value as Buffer });
        } else if (TEXT_FIELDS.has(field as keyof RawVersionFields)) {
          const key = field as keyof RawVersionFields;
          if (upload.fields[key] !== undefined) throw badField(field, `${field} was sent more than once`);
          // SDKs sometimes send JSON fields as blobs: read them as text.
          upload.fields[key] = typeof value === 'string' ? value : value.toString('utf8');
        } else {
          throw badField(field, `${field} is not an accepted field (files, archive, description, labels, metrics, params)`);
        }
      }
    } catch (error) {
      throw mapMultipartError(error, maxArtifactBytes, maxArtifactFiles);
    }
    return upload;
  }
}

/**
 * part.toBuffer() without its one Buffer.concat of the whole file (~50 ms for 200 MB): the chunks
 * are joined a slice at a time. A file cut at the size limit fails as toBuffer() does.
 */
async function readFilePart(part: MultipartFile): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of part.file as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
  }
  if (part.file.truncated) throw Object.assign(new Error('request file too large'), { code: 'FST_REQ_FILE_TOO_LARGE' });
  return concatChunks(chunks, size);
}

/** An empty part where a file goes: a text part with no value, or a file part with no name and no bytes. */
function isEmptyPart(filename: string | undefined, value: Buffer | string): boolean {
  return value.length === 0 && !filename;
}

function badField(field: string, message: string): ValidationFailedError {
  return new ValidationFailedError([{ field, message }]);
}

/** @fastify/multipart's limit errors in the registry's words; the rest as every multipart route. */
function mapMultipartError(error: unknown, maxBytes: number, maxFiles: number): unknown {
  switch ((error as { code?: string }).code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ArtifactTooLargeError(maxBytes);
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new TooManyFilesError(maxFiles);
    case 'FST_FIELDS_LIMIT':
      return new ValidationFailedError([{ field: 'body', message: 'too many text fields' }]);
    default:
      return mapCommonMultipartError(error);
  }
}
