// The errors of `tandem up` and its demo app servers: TUP-nnnn, a stable code at the start of
// the message (the CLI prints it after `[error]`, the log monitor matches it). Errors of the
// parts `up` runs keep their own codes: TLB-nnnn from the load balancer (an lb.yaml that does
// not validate, a port that is taken), TDB-nnnn from the database.
import { CodedError, type CodedErrorOptions } from '../db-client/coded-error.js';

/** The catalogue. A code, once released, keeps its meaning. */
export const UpCode = {
  /** A command-line option of `up` is not valid (a port, the list of app ports) or does not fit lb.yaml. */
  INVALID_OPTION: 'TUP-0001',
  /** A demo app server could not start: its port is taken, it crashed, or it did not report ready in time. */
  APP_START_FAILED: 'TUP-0002',
  /** A demo app server exited while `tandem up` ran (the load balancer's health checks take it out). */
  APP_EXITED: 'TUP-0003',
  /** A demo app server's query to the database failed (its /db page answered 503). */
  APP_DATABASE_FAILED: 'TUP-0004',
} as const;

export type UpCodeName = keyof typeof UpCode;

export class UpError extends CodedError<UpCodeName> {
  override readonly name = 'UpError';

  constructor(codeName: UpCodeName, message: string, options: CodedErrorOptions = {}) {
    super(UpCode, codeName, message, options, (hint) => ` (${hint})`);
  }
}
