// @tandem/cli: the `tandem` command, also usable as a library (for tests and embedding).
export { createProgram, main, type CliIo } from './main.js';
export { localSystemPlan, type PartStatus } from './commands/up.js';
