/** A parsed multipart dataset upload, transport-free: what the HTTP layer hands the service. */
export interface DatasetUpload {
  name?: string;
  file?: { filename: string; data: Buffer };
}
