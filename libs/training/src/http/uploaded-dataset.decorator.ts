import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { DatasetUpload } from '../datasets/dataset-upload';
import type { RequestWithDataset } from './multipart-dataset.interceptor';

/** The upload parsed by MultipartDatasetInterceptor. */
export const UploadedDataset = createParamDecorator((_: unknown, ctx: ExecutionContext): DatasetUpload => {
  const upload = ctx.switchToHttp().getRequest<RequestWithDataset>().datasetUpload;
  if (!upload) throw new Error('UploadedDataset needs MultipartDatasetInterceptor on the route');
  return upload;
});
