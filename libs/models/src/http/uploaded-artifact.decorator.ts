import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { ArtifactUpload } from '../services/artifact-upload';
import type { RequestWithUpload } from './multipart-artifact.interceptor';

/** The upload parsed by MultipartArtifactInterceptor. */
export const UploadedArtifact = createParamDecorator((_: unknown, ctx: ExecutionContext): ArtifactUpload => {
  const upload = ctx.switchToHttp().getRequest<RequestWithUpload>().artifactUpload;
  if (!upload) throw new Error('UploadedArtifact needs MultipartArtifactInterceptor on the route');
  return upload;
});
