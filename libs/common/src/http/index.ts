export * from './request-id';
export * from './with-headers';
export * from './deprecation-headers';
export * from './multipart-errors';
export * from './json-depth';
export * from './http.config';
