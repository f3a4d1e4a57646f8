// @medxfer/models/node — file-system helpers for Node.js.
export * from './index.js';
