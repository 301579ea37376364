// The PostgreSQL v3 protocol server and the contract it serves the engine through.
export type * from './engine.js';
export { WireServer, type WireServerOptions, type WireServerAddress } from './server.js';
export type { WireAuthentication, WireLogLevel, BackendKey } from './connection.js';
export {
  createScramVerifier,
  formatScramVerifier,
  parseScramVerifier,
  saslPrep,
  SCRAM_MECHANISM,
  SCRAM_ITERATIONS_DEFAULT,
} from './scram.js';
export { MESSAGE_BYTES_MAX_DEFAULT, STARTUP_PACKET_BYTES_MAX } from './frame-decoder.js';
