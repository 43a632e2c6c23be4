export { CallosumServer, type CallosumServerOptions, type CallosumServerStats } from './server.js';
export {
  CallosumConnection,
  type CallosumConnectionOptions,
  type CallosumConnectionStats,
  type CallosumFields,
  type EmitOptions,
} from './connection.js';
export { CallosumError, type CallosumErrorCode } from './errors.js';
export {
  encodeMessage,
  parseMessage,
  defaultSocketPath,
  resolveSocketPath,
  MAX_SOCKET_PATH_BYTES,
  type CallosumMessage,
} from './protocol.js';
