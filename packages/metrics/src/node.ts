// The `@medxfer/metrics/node` entry. Metrics has no Node-only part (no file system, no
// native code): this entry is the same as the main one, kept so that every @medxfer package
// offers `./node`.
export * from './index.js';
