export * from './problem-document.dto';
export * from './api-problem-responses.decorator';
export * from './api-page-response.decorator';
