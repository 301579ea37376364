// @tandem/db: the database engine. The public API grows as the engine lands; see README.md.
export * from './errors.js';
export * from './storage/block.js';
export * from './control/control-state.js';
export { ControlFiles, type MountReport } from './control/control-file.js';
export * from './redo/redo-record.js';
export {
  scanLogGroup,
  createLogMember,
  LOG_FILE_HEADER_BYTES,
  type LogFileHeader,
  type LogScanEntry,
  type LogGroupToRead,
} from './redo/log-file.js';
export { LogWriter, type LogWriterHost, type LogWriterStart, type AppendInput } from './redo/log-writer.js';
export { FileAlertLog, MemoryAlertLog, formatAlertLine, type AlertLog, type AlertLevel } from './instance/alert-log.js';
export * from './access/value.js';
export { encodeKey, encodeKeyPrefix, decodeKey, compareKeys, successorOfPrefix } from './access/key-codec.js';
export { encodeRow, decodeRow, decodeColumn } from './access/row-codec.js';
export {
  Storage,
  createStorage,
  defaultControlFilePaths,
  doublewritePathOf,
  defaultTablespaces,
  type CreateStorageSpec,
  type OpenStorageOptions,
  type StorageIo,
  type TablespaceSpec,
} from './instance/storage.js';
export {
  RetryAfter,
  runWithRetry,
  type BlockSource,
  type MiniTransaction,
  type SegmentSpace,
} from './txn/mini-transaction.js';
export { CacheMiniTransaction } from './txn/cache-mini-transaction.js';
export {
  BTree,
  scanAll,
  type KeyBound,
  type KeyRange,
  type ScanBatch,
  type BTreeEntry,
  type BTreeShape,
} from './access/btree.js';
export { Database, type CreateTableSpec, type CreateIndexSpec, type DatabaseOptions } from './instance/database.js';
export {
  Instance,
  Session,
  type InstanceParameters,
  type InstanceStage,
  type ShutdownMode,
  type InstanceIo,
} from './instance/instance.js';
export { Table, type Row, type RowRange } from './access/table.js';
export type { TableDefinition, ColumnDefinition, IndexDefinition } from './access/catalog.js';
export type { Transaction, TransactionState, RecoveryReport } from './txn/transactions.js';
export {
  addLogMember,
  dropLogMember,
  recreateLogMember,
  addLogGroup,
  dropLogGroup,
  alterSystemArchiveLogCurrent,
  alterSystemSwitchLogfile,
  alterSystemCheckpoint,
} from './instance/log-admin.js';
export {
  renameDatafile,
  renameLogMember,
  setLogMode,
  clearLogGroup,
  verifyOnlineLogs,
} from './instance/mount-admin.js';
export { DatabaseServer, initDatabase, type InitOptions, type InitResult, type StartOptions } from './server/server.js';
export { CONFIG_FILE, DEFAULT_PORT, parseConfig, type ServerConfig } from './server/config.js';
export { SqlEngine, SERVER_VERSION, type SqlEngineOptions } from './sql/engine.js';
export { parse as parseSql, parseExpression, type ParsedStatement } from './sql/parser.js';
export { WireServer, type WireServerOptions } from './wire/index.js';
export type {
  Engine,
  EngineSession,
  QueryOutput,
  FieldDescription,
  Notice,
  PreparedStatement,
  Portal,
} from './wire/engine.js';
// For physical backup tools (tandem db backup / verify / restore): file headers and trailers,
// the parameters and pid files (also importable alone, without the engine, as @tandem/db/files).
export * from './files.js';
