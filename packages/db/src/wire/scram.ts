// SCRAM-SHA-256 (RFC 5802, RFC 7677) on the server side, as PostgreSQL does it: one
// mechanism, no channel binding (we never advertise -PLUS), the user name taken from the
// startup packet rather than from the SCRAM message, and a mock exchange for an unknown
// user that fails exactly like a wrong password, so that a client cannot probe for roles.

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { DbError } from '../errors.js';
import type { ScramVerifier } from './engine.js';

export const SCRAM_MECHANISM = 'SCRAM-SHA-256';
/** PostgreSQL's scram_iterations default. */
export const SCRAM_ITERATIONS_DEFAULT = 4096;
/** PostgreSQL's SCRAM_DEFAULT_SALT_LEN. */
const SALT_BYTES = 16;
/** PostgreSQL's SCRAM_RAW_NONCE_LEN: random bytes in the server's part of the nonce. */
const NONCE_BYTES = 18;
const KEY_BYTES = 32;

function hmac(key: Uint8Array, text: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** The verifier PostgreSQL would store for `password` (after SASLprep). */
export function createScramVerifier(
  password: string,
  options: { iterations?: number; salt?: Uint8Array } = {},
): ScramVerifier {
  const iterations = options.iterations ?? SCRAM_ITERATIONS_DEFAULT;
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new DbError('INVALID_PARAMETER', `SCRAM iteration count must be a positive integer, got ${iterations}`);
  }
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const salted = pbkdf2Sync(saslPrep(password), salt, iterations, KEY_BYTES, 'sha256');
  return {
    iterations,
    salt: Uint8Array.from(salt),
    storedKey: sha256(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

/** PostgreSQL's rolpassword text: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64. */
export function formatScramVerifier(verifier: ScramVerifier): string {
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  return `${SCRAM_MECHANISM}$${verifier.iterations}:${b64(verifier.salt)}$${b64(verifier.storedKey)}:${b64(verifier.serverKey)}`;
}

const VERIFIER_PATTERN = /^SCRAM-SHA-256\$([0-9]{1,10}):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

/** Parses the rolpassword text form. Throws DbError INVALID_PARAMETER if it is not one. */
export function parseScramVerifier(text: string): ScramVerifier {
  const match = VERIFIER_PATTERN.exec(text);
  const invalid = (why: string): DbError => new DbError('INVALID_PARAMETER', `invalid SCRAM verifier: ${why}`);
  if (match === null) throw invalid('not of the form SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>');
  const iterations = Number(match[1]);
  if (iterations < 1 || iterations > 0x7fffffff) throw invalid(`iteration count ${match[1]} out of range`);
  const salt = decodeBase64(match[2]);
  const storedKey = decodeBase64(match[3]);
  const serverKey = decodeBase64(match[4]);
  if (salt === undefined || salt.length === 0) throw invalid('the salt is not base64');
  if (storedKey?.length !== KEY_BYTES) throw invalid('StoredKey is not 32 bytes of base64');
  if (serverKey?.length !== KEY_BYTES) throw invalid('ServerKey is not 32 bytes of base64');
  return { iterations, salt, storedKey, serverKey };
}

/** Strict base64: Node's decoder silently skips junk, which would let a malformed proof through. */
function decodeBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

export interface ScramExchangeOptions {
  /** Secret for the mock salt of unknown users: the same user gets the same salt every time. */
  readonly mockSecret: Uint8Array;
  /** The server's part of the nonce (printable, no comma); tests fix it to replay RFC 7677's example. */
  readonly serverNonce?: string;
}

/**
 * One SCRAM-SHA-256 exchange. `verifier` undefined means no such user: the exchange runs
 * with a fake verifier and fails at the end, as a wrong password does.
 */
export class ScramExchange {
  readonly #user: string;
  readonly #verifier: ScramVerifier;
  readonly #mock: boolean;
  readonly #serverNonce: string;
  #state: 'initial' | 'continue' | 'done' = 'initial';
  #gs2Header = '';
  #clientFirstBare = '';
  #serverFirst = '';
  #nonce = '';

  constructor(user: string, verifier: ScramVerifier | undefined, options: ScramExchangeOptions) {
    this.#user = user;
    this.#mock = verifier === undefined;
    this.#verifier = verifier ?? mockVerifier(user, options.mockSecret);
    this.#serverNonce = options.serverNonce ?? randomBytes(NONCE_BYTES).toString('base64');
  }

  /** Takes client-first-message, returns server-first-message. Throws DbError PROTOCOL_VIOLATION. */
  serverFirst(clientFirst: Uint8Array): Buffer {
    if (this.#state !== 'initial') throw malformed('the exchange is not at its start');
    const text = scramText(clientFirst);
    const { gs2Header, bare } = splitGs2Header(text);
    const attributes = parseAttributes(bare);
    if (attributes[0]?.name === 'm') {
      throw new DbError('FEATURE_NOT_SUPPORTED', 'client requires an unsupported SCRAM extension');
    }
    // PostgreSQL ignores this user name (libpq sends it empty) and uses the startup user.
    if (attributes[0]?.name !== 'n') throw malformed('expected attribute "n"');
    const nonce = attributes[1];
    if (nonce?.name !== 'r') throw malformed('expected attribute "r"');
    if (nonce.value === '' || !/^[\x21-\x2b\x2d-\x7e]+$/.test(nonce.value)) {
      throw malformed('the client nonce is not printable');
    }
    // Later attributes are extensions, which RFC 5802 lets us ignore.
    this.#gs2Header = gs2Header;
    this.#clientFirstBare = bare;
    this.#nonce = nonce.value + this.#serverNonce;
    this.#serverFirst = `r=${this.#nonce},s=${Buffer.from(this.#verifier.salt).toString('base64')},i=${this.#verifier.iterations}`;
    this.#state = 'continue';
    return Buffer.from(this.#serverFirst, 'utf8');
  }

  /**
   * Takes client-final-message, returns server-final-message. Throws DbError
   * PROTOCOL_VIOLATION for a malformed message and AUTHENTICATION_FAILED for a wrong proof
   * or an unknown user.
   */
  serverFinal(clientFinal: Uint8Array): Buffer {
    if (this.#state !== 'continue') throw malformed('the exchange is not waiting for the final message');
    this.#state = 'done';
    const text = scramText(clientFinal);
    const attributes = parseAttributes(text);
    const binding = attributes[0];
    if (binding?.name !== 'c') throw malformed('expected attribute "c"');
    if (binding.value !== Buffer.from(this.#gs2Header, 'utf8').toString('base64')) {
      throw malformed('unexpected channel-binding data');
    }
    if (attributes[1]?.name !== 'r' || attributes[1].value !== this.#nonce) throw malformed('the nonce does not match');
    const proofAttribute = attributes[attributes.length - 1];
    if (attributes.length < 3 || proofAttribute.name !== 'p') throw malformed('expected attribute "p" at the end');
    const proof = decodeBase64(proofAttribute.value);
    if (proof?.length !== KEY_BYTES) throw malformed('the client proof is not 32 bytes of base64');

    const withoutProof = text.slice(0, text.lastIndexOf(',p='));
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.#verifier.storedKey, authMessage);
    const clientKey = Buffer.alloc(KEY_BYTES);
    for (let i = 0; i < KEY_BYTES; i++) clientKey[i] = proof[i] ^ clientSignature[i];
    const matches = timingSafeEqual(sha256(clientKey), this.#verifier.storedKey);
    if (!matches || this.#mock) throw authenticationFailed(this.#user);
    return Buffer.from(`v=${hmac(this.#verifier.serverKey, authMessage).toString('base64')}`, 'utf8');
  }
}

export function authenticationFailed(user: string): DbError {
  return new DbError('AUTHENTICATION_FAILED', `password authentication failed for user "${user}"`);
}

function malformed(why: string): DbError {
  return new DbError('PROTOCOL_VIOLATION', `malformed SCRAM message: ${why}`);
}

const scramDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function scramText(bytes: Uint8Array): string {
  let text: string;
  try {
    text = scramDecoder.decode(bytes);
  } catch {
    throw malformed('it is not UTF-8');
  }
  if (text.includes('\0')) throw malformed('it contains a NUL byte');
  return text;
}

/** Splits `n,,bare` or `y,,bare`; refuses `p=` (channel binding we did not offer) and an authzid. */
function splitGs2Header(text: string): { gs2Header: string; bare: string } {
  const flag = text[0];
  if (flag === 'p') throw malformed('the client requires channel binding, which this server does not offer');
  if ((flag !== 'n' && flag !== 'y') || text[1] !== ',') throw malformed('invalid GS2 header');
  const authzidEnd = text.indexOf(',', 2);
  if (authzidEnd < 0) throw malformed('invalid GS2 header');
  if (authzidEnd !== 2) {
    throw new DbError('FEATURE_NOT_SUPPORTED', 'client uses authorization identity, but it is not supported');
  }
  return { gs2Header: text.slice(0, 3), bare: text.slice(3) };
}

interface Attribute {
  readonly name: string;
  readonly value: string;
}

/** `a=value,b=value,...`; each name one ASCII letter, as RFC 5802's grammar says. */
function parseAttributes(text: string): Attribute[] {
  return text.split(',').map((part) => {
    if (part.length < 2 || part[1] !== '=' || !/^[A-Za-z]$/.test(part[0])) {
      throw malformed(`invalid attribute "${part.slice(0, 16)}"`);
    }
    return { name: part[0], value: part.slice(2) };
  });
}

/** A fake verifier for an unknown user, stable per user so that repeated probes see one salt. */
function mockVerifier(user: string, secret: Uint8Array): ScramVerifier {
  const seed = hmac(secret, `mock:${user}`);
  return {
    iterations: SCRAM_ITERATIONS_DEFAULT,
    salt: seed.subarray(0, SALT_BYTES),
    storedKey: hmac(seed, 'Stored Key'),
    serverKey: hmac(seed, 'Server Key'),
  };
}

// SASLprep (RFC 4013), which PostgreSQL applies to a password before hashing it; when the
// password is not valid SASLprep input it uses the raw bytes instead, and so do we. ASCII
// passwords come out unchanged either way. The bidirectional rule uses script properties
// as an approximation of RFC 3454's tables D.1 and D.2.

type CodeRanges = readonly (readonly [number, number])[];

/** RFC 3454 B.1, commonly mapped to nothing. */
const MAPPED_TO_NOTHING: CodeRanges = [
  [0xad, 0xad],
  [0x34f, 0x34f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];
/** RFC 3454 C.1.2, non-ASCII space characters, mapped to SPACE. */
const NON_ASCII_SPACE: CodeRanges = [
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
/** RFC 3454 C.1.2 through C.9 (after mapping, C.1.2 can only appear through normalization). */
const PROHIBITED: CodeRanges = [
  ...NON_ASCII_SPACE,
  [0x0, 0x1f], // C.2.1
  [0x7f, 0x9f], // C.2.1, C.2.2
  [0x340, 0x341], // C.8
  [0x6dd, 0x6dd],
  [0x70f, 0x70f],
  [0x180e, 0x180e],
  [0x200c, 0x200f], // C.2.2, C.8
  [0x2028, 0x202e], // C.2.2, C.8
  [0x2060, 0x2063],
  [0x206a, 0x206f],
  [0x2ff0, 0x2ffb], // C.7
  [0xd800, 0xdfff], // C.5
  [0xe000, 0xf8ff], // C.3
  [0xfdd0, 0xfdef], // C.4
  [0xfeff, 0xfeff],
  [0xfff9, 0xffff], // C.2.2, C.4, C.6
  [0x1d173, 0x1d17a],
  [0xe0001, 0xe0001], // C.9
  [0xe0020, 0xe007f],
  [0xf0000, 0x10ffff], // C.3 (planes 15 and 16 are private use, bar their non-characters, also prohibited)
];

function inRanges(code: number, ranges: CodeRanges): boolean {
  for (const [low, high] of ranges) if (code >= low && code <= high) return true;
  return false;
}

/** C.4's non-characters at the end of every plane, and code points unassigned in Node's Unicode (A.1, approximately). */
const UNASSIGNED = /\p{Cn}/u;
const RAND_AL = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const LETTER = /\p{L}/u;

/** The password SASLprep'd, or unchanged if it is not valid SASLprep input (PostgreSQL's rule). */
export function saslPrep(password: string): string {
  // Printable ASCII is unchanged by SASLprep: the common case skips the tables.
  if (/^[\x20-\x7e]*$/.test(password)) return password;
  let mapped = '';
  for (const character of password) {
    const code = character.codePointAt(0) ?? 0;
    if (inRanges(code, MAPPED_TO_NOTHING)) continue;
    mapped += inRanges(code, NON_ASCII_SPACE) ? ' ' : character;
  }
  const characters = [...mapped.normalize('NFKC')];
  let randAl = false;
  let leftToRight = false;
  for (const character of characters) {
    const code = character.codePointAt(0) ?? 0;
    if (inRanges(code, PROHIBITED) || UNASSIGNED.test(character)) return password;
    if (RAND_AL.test(character)) randAl = true;
    else if (LETTER.test(character)) leftToRight = true;
  }
  // RFC 3454 section 6: right-to-left text must not mix in left-to-right letters, and must
  // begin and end with a right-to-left character.
  if (randAl && (leftToRight || !RAND_AL.test(characters[0]) || !RAND_AL.test(characters[characters.length - 1]))) {
    return password;
  }
  return characters.join('');
}
