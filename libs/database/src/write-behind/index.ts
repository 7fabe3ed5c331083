export * from './write-behind-buffer';
