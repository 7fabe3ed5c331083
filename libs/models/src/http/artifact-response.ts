import { StreamableFile } from '@nestjs/common';
import type { ArtifactDownload } from '../services/model-versions.service';

/** A downloaded artifact as an attachment: application/gzip with a filename. */
export function asTarGzAttachment(download: ArtifactDownload): StreamableFile {
  return new StreamableFile(download.data, {
    type: 'application/gzip',
    disposition: `attachment; filename="${download.filename}"`,
    length: download.data.length,
  });
}
