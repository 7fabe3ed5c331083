export * from './write-behind-buffer';
export * from './write-behind-recorder';
