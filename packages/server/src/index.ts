export { buildServer, type ServerOptions } from './server.js';
export { openApiDocument } from './openapi.js';
