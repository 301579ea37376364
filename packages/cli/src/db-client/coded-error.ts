// The base of the CLI's coded errors (TBAK-nnnn of the backup commands, TEXP-nnnn of export
// and import): a stable code at the start of the message, so scripts and the log monitor
// can match it, the code's name for code that catches it, and an optional hint.

export interface CodedErrorOptions {
  readonly hint?: string;
  readonly cause?: unknown;
}

export class CodedError<Name extends string> extends Error {
  readonly code: string;
  readonly codeName: Name;
  readonly hint: string | undefined;

  /** `formatHint` turns the hint into the text appended to the message (`; hint`, ` (hint)`). */
  constructor(
    codes: Readonly<Record<Name, string>>,
    codeName: Name,
    message: string,
    options: CodedErrorOptions,
    formatHint: (hint: string) => string,
  ) {
    const hint = options.hint === undefined ? '' : formatHint(options.hint);
    super(`${codes[codeName]}: ${message}${hint}`, options.cause === undefined ? {} : { cause: options.cause });
    this.code = codes[codeName];
    this.codeName = codeName;
    this.hint = options.hint;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The SQLSTATE of a node-postgres error, if it is one. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
