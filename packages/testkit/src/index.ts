// @tandem/testkit: the injected I/O that deterministic cores depend on, with real and
// simulated implementations.
export * from './fs/file-system.js';
export { NodeFileSystem } from './fs/node-file-system.js';
export { SimulatedFileSystem } from './fs/simulated-file-system.js';
export type { SimulatedFileSystemOptions } from './fs/simulated-file-system.js';
export type { CrashFates, CrashReport, CrashedDataOperation, CrashedMetadataOperation } from './fs/simulated-crash.js';
export type { FaultRule, FileSystemOperationKind, InjectedFault } from './fs/simulated-faults.js';
export * from './clock/clock.js';
export * from './random/random.js';
