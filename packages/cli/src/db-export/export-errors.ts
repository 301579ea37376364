// The errors of `tandem db export` and `tandem db import`. Each has a stable code
// (TEXP-nnnn, the CLI's own prefix beside the database's TDB-nnnn) at the start of its
// message, so scripts and the log monitor can match it, and a name for code that catches it.
import { CodedError, type CodedErrorOptions } from '../db-client/coded-error.js';

export { errorMessage, sqlStateOf } from '../db-client/coded-error.js';

const CODES = {
  FILE_EXISTS: 'TEXP-0001',
  NOT_AN_EXPORT: 'TEXP-0002',
  UNSUPPORTED_FORMAT: 'TEXP-0003',
  DAMAGED: 'TEXP-0004',
  TRUNCATED: 'TEXP-0005',
  WRONG_SERVER: 'TEXP-0006',
  INSUFFICIENT_PRIVILEGE: 'TEXP-0007',
  UNKNOWN_TABLE: 'TEXP-0008',
  UNKNOWN_USER: 'TEXP-0009',
  OBJECT_EXISTS: 'TEXP-0010',
  CONNECTION_FAILED: 'TEXP-0011',
  STATEMENT_FAILED: 'TEXP-0012',
  UNDEFINED_TABLESPACE: 'TEXP-0013',
  USAGE: 'TEXP-0014',
  COPY_FAILED: 'TEXP-0015',
  CANNOT_WRITE: 'TEXP-0016',
} as const;

export type ExportErrorName = keyof typeof CODES;

export class ExportError extends CodedError<ExportErrorName> {
  constructor(codeName: ExportErrorName, message: string, options: CodedErrorOptions = {}) {
    super(CODES, codeName, message, options, (hint) => ` (${hint})`);
    this.name = 'ExportError';
  }
}
