// @tandem/db/files: the database's files as tools outside the server read them (tandem db
// backup, verify, restore, recover), without loading the engine, the SQL layer or the
// server: control files, datafile headers and block checks, online log headers, archived
// logs and their trailers, the parameters file and the pid file. Importing `@tandem/db`
// instead costs about 0.3 s of module loading per command.
export * from './errors.js';
export { verifyBlock, type BlockAddress } from './storage/block.js';
export type { ControlFileState } from './control/control-state.js';
export { ControlFiles } from './control/control-file.js';
export { Datafile, DATAFILE_HEADER_COPIES, type DatafileHeader } from './storage/datafile.js';
export { decodeLogFileHeader, LOG_FILE_HEADER_BYTES, type LogFileHeader } from './redo/log-file.js';
export {
  ARCHIVE_TRAILER_BYTES,
  decodeArchiveTrailer,
  encodeArchiveTrailer,
  scanArchiveDestinations,
  type ArchivedLog,
  type ArchivedLogHeader,
} from './redo/archive-file.js';
export { CONFIG_FILE, type ServerConfig } from './server/config.js';
export {
  isAlive,
  PID_FILE,
  readConfig,
  readPidFile,
  SYS_PASSWORD_FILE,
  SYS_VERIFIER_FILE,
  type PidFile,
} from './server/state-files.js';
