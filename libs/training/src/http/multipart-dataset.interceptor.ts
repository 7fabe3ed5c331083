import { CallHandler, ExecutionContext, Injectable, NestInterceptor, UnsupportedMediaTypeException } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { InjectConfig, mapCommonMultipartError, ValidationFailedError } from '@app/common';
import { trainingConfig, type TrainingConfig } from '../training.config';
import { DatasetTooLargeError } from '../datasets/dataset-errors';
import type { DatasetUpload } from '../datasets/dataset-upload';

export type RequestWithDataset = FastifyRequest & { datasetUpload?: DatasetUpload };

const MAX_NAME_BYTES = 4096;
/** Bytes copied per event-loop turn when the file's chunks are joined. */
const COPY_BYTES_PER_TURN = 1024 * 1024;

/**
 * Reads a dataset upload's multipart body (after the auth guard, before the handler) under this
 * route's own limit, MAX_DATASET_BYTES (413 beyond it). The handler and the service never touch
 * the HTTP stream. An empty `file` part (a file input left empty) is no file: the service then
 * answers that `file` is required.
 */
@Injectable()
export class MultipartDatasetInterceptor implements NestInterceptor {
  constructor(@InjectConfig(trainingConfig) private readonly config: TrainingConfig) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<RequestWithDataset>();
    if (typeof req.isMultipart !== 'function' || !req.isMultipart()) {
      throw new UnsupportedMediaTypeException('Send multipart/form-data with a `file` part and a `name` field.');
    }
    req.datasetUpload = await this.read(req);
    return next.handle();
  }

  private async read(req: FastifyRequest): Promise<DatasetUpload> {
    const maxBytes = this.config.maxDatasetBytes;
    const upload: DatasetUpload = {};
    try {
      const parts = req.parts({ limits: { fileSize: maxBytes, files: 1, fields: 1, fieldSize: MAX_NAME_BYTES, parts: 2 } });
      for await (const part of parts) {
        if (part.fieldname === 'file') {
          // A file input left empty (Swagger UI, an HTML form) arrives as an empty part: no file.
          if (part.type !== 'file' && !String(part.value ?? '')) continue;
          if (part.type !== 'file') throw badField('file', 'file must be a file part (with a filename)');
          const data = await readFilePart(req, part);
          if (!part.filename && data.length === 0) continue;
          upload.file = { filename: part.filename, data };
        } else if (part.fieldname === 'name') {
          upload.name = part.type === 'file' ? (await part.toBuffer()).toString('utf8') : String(part.value ?? '');
        } else {
          if (part.type === 'file') await part.toBuffer();
          throw badField(part.fieldname, `${part.fieldname} is not an accepted field (file, name)`);
        }
      }
    } catch (error) {
      throw mapMultipartError(error, maxBytes);
    }
    return upload;
  }
}

/**
 * A file part's bytes, as `part.toBuffer()` reads them (the same FST_REQ_FILE_TOO_LARGE error once the
 * part has been drained past MAX_DATASET_BYTES), but joined a megabyte per event-loop turn rather
 * than by one Buffer.concat of the whole upload.
 */
async function readFilePart(req: FastifyRequest, part: MultipartFile): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of part.file as AsyncIterable<Buffer>) {
    if (truncated) continue;
    if (part.file.truncated) {
      truncated = true;
      chunks.length = 0;
      continue;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  if (truncated || part.file.truncated) {
    const error = new req.server.multipartErrors.RequestFileTooLargeError() as Error & { part?: MultipartFile };
    error.part = part;
    throw error;
  }
  if (chunks.length === 1) return chunks[0];
  const data = Buffer.allocUnsafe(size);
  let offset = 0;
  let sinceTurn = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.length;
    sinceTurn += chunk.length;
    if (sinceTurn >= COPY_BYTES_PER_TURN) {
      sinceTurn = 0;
      await nextTurn();
    }
  }
  return data;
}

function badField(field: string, message: string): ValidationFailedError {
  return new ValidationFailedError([{ field, message }]);
}

/** @fastify/multipart's limit errors in the datasets' words; the rest as every multipart route. */
function mapMultipartError(error: unknown, maxBytes: number): unknown {
  switch ((error as { code?: string }).code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new DatasetTooLargeError(maxBytes);
    case 'FST_FILES_LIMIT':
      return badField('file', 'send exactly one file');
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return badField('body', 'send one `file` part and one `name` field');
    default:
      return mapCommonMultipartError(error);
  }
}
