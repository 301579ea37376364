// SCRAM-SHA-256 against RFC 7677's worked example, the verifier text form, and the refusals.

import { describe, expect, it } from 'vitest';
import { isDbError, type DbError } from '../errors.js';
import { ScramExchange, createScramVerifier, formatScramVerifier, parseScramVerifier, saslPrep } from './scram.js';

// RFC 7677, section 3: user "user", password "pencil".
const RFC = {
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

const mockSecret = Buffer.alloc(32, 9);
const verifier = createScramVerifier('pencil', { salt: RFC.salt });

function exchange(user = 'user', known = true): ScramExchange {
  return new ScramExchange(user, known ? verifier : undefined, { mockSecret, serverNonce: RFC.serverNonce });
}

function thrown(work: () => unknown): DbError {
  try {
    work();
  } catch (error) {
    if (isDbError(error)) return error;
    throw error;
  }
  throw new Error('expected a DbError');
}

describe('SCRAM-SHA-256 exchange', () => {
  it("replays RFC 7677's example", () => {
    const server = exchange();
    expect(server.serverFirst(Buffer.from(RFC.clientFirst)).toString()).toBe(RFC.serverFirst);
    expect(server.serverFinal(Buffer.from(RFC.clientFinal)).toString()).toBe(RFC.serverFinal);
  });

  it('ignores the user name in the SCRAM message, as PostgreSQL does (libpq sends it empty)', () => {
    const server = exchange();
    server.serverFirst(Buffer.from('n,,n=,r=rOprNGfwEbeRWgbNEkqO'));
    const error = thrown(() => server.serverFinal(Buffer.from(RFC.clientFinal)));
    // The proof covers the client-first message, which changed: so it fails, as it must.
    expect(error.codeName).toBe('AUTHENTICATION_FAILED');
  });

  it('fails a wrong proof, and an unknown user, with the same error', () => {
    const wrong = exchange();
    wrong.serverFirst(Buffer.from(RFC.clientFirst));
    const tampered = RFC.clientFinal.replace('p=dHzb', 'p=dHzc');
    const wrongError = thrown(() => wrong.serverFinal(Buffer.from(tampered)));
    expect(wrongError.message).toBe('TDB-7002: password authentication failed for user "user"');
    expect(wrongError.sqlState).toBe('28P01');

    const unknown = exchange('user', false);
    const first = unknown.serverFirst(Buffer.from(RFC.clientFirst)).toString();
    // The mock salt is stable per user, so that two probes cannot tell a mock from a real role.
    expect(exchange('user', false).serverFirst(Buffer.from(RFC.clientFirst)).toString()).toBe(first);
    expect(first).not.toBe(RFC.serverFirst);
    const unknownError = thrown(() => unknown.serverFinal(Buffer.from(RFC.clientFinal)));
    expect(unknownError.message).toBe(wrongError.message);
  });

  it.each([
    ['channel binding it was not offered', 'p=tls-server-end-point,,n=,r=abc', 'PROTOCOL_VIOLATION'],
    ['an authorization identity', 'n,a=admin,n=,r=abc', 'FEATURE_NOT_SUPPORTED'],
    ['a mandatory extension', 'n,,m=ext,n=,r=abc', 'FEATURE_NOT_SUPPORTED'],
    ['a bad GS2 header', 'x,,n=,r=abc', 'PROTOCOL_VIOLATION'],
    ['a missing nonce', 'n,,n=', 'PROTOCOL_VIOLATION'],
    ['a nonce with a non-printable character', 'n,,n=,r=a\u0001b', 'PROTOCOL_VIOLATION'],
    ['garbage', '\u00ff\u00fe', 'PROTOCOL_VIOLATION'],
  ])('refuses a client-first message with %s', (_what, text, codeName) => {
    expect(thrown(() => exchange().serverFirst(Buffer.from(text))).codeName).toBe(codeName);
  });

  it.each([
    ['another nonce', RFC.clientFinal.replace('k0,p', 'k1,p')],
    ['other channel-binding data', RFC.clientFinal.replace('c=biws', 'c=eSws')],
    ['no proof', 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0'],
    ['a short proof', 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA'],
    ['a proof that is not base64', RFC.clientFinal.replace('p=dHzb', 'p=*Hzb')],
  ])('refuses a client-final message with %s', (_what, text) => {
    const server = exchange();
    server.serverFirst(Buffer.from(RFC.clientFirst));
    expect(thrown(() => server.serverFinal(Buffer.from(text))).codeName).toBe('PROTOCOL_VIOLATION');
  });

  it('accepts the y flag (client could bind, server did not offer)', () => {
    const server = exchange();
    server.serverFirst(Buffer.from('y,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    // The proof of RFC's example was made over n,,: a correct c=eSws still fails the proof, not the format.
    const final = RFC.clientFinal.replace('c=biws', 'c=eSws');
    expect(thrown(() => server.serverFinal(Buffer.from(final))).codeName).toBe('AUTHENTICATION_FAILED');
  });

  it('refuses messages out of order', () => {
    const server = exchange();
    expect(thrown(() => server.serverFinal(Buffer.from(RFC.clientFinal))).codeName).toBe('PROTOCOL_VIOLATION');
  });
});

describe('SCRAM verifiers', () => {
  it('round-trips the rolpassword text form', () => {
    const text = formatScramVerifier(verifier);
    expect(text).toMatch(/^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    const parsed = parseScramVerifier(text);
    expect(Buffer.from(parsed.storedKey)).toEqual(Buffer.from(verifier.storedKey));
    expect(Buffer.from(parsed.serverKey)).toEqual(Buffer.from(verifier.serverKey));
    expect(Buffer.from(parsed.salt)).toEqual(RFC.salt);
    expect(parsed.iterations).toBe(4096);
  });

  it('makes a fresh salt each time unless given one', () => {
    const a = createScramVerifier('x', { iterations: 16 });
    const b = createScramVerifier('x', { iterations: 16 });
    expect(Buffer.from(a.salt)).not.toEqual(Buffer.from(b.salt));
    expect(a.salt).toHaveLength(16);
  });

  it.each([
    ['md5 text', 'md5abcdef'],
    ['a zero iteration count', 'SCRAM-SHA-256$0:AAAA$' + 'A'.repeat(43) + '=:' + 'A'.repeat(43) + '='],
    ['a short StoredKey', 'SCRAM-SHA-256$4096:AAAA$AAAA:' + 'A'.repeat(43) + '='],
    ['bad base64', 'SCRAM-SHA-256$4096:A$' + 'A'.repeat(43) + '=:' + 'A'.repeat(43) + '='],
  ])('refuses %s as INVALID_PARAMETER', (_what, text) => {
    expect(thrown(() => parseScramVerifier(text)).codeName).toBe('INVALID_PARAMETER');
  });
});

describe('SASLprep', () => {
  it.each([
    ['I\u00adX', 'IX'],
    ['user', 'user'],
    ['\u00aa', 'a'],
    ['\u2168', 'IX'],
    ['a\u00a0b', 'a b'],
    // Prohibited output: PostgreSQL falls back to the raw password.
    ['\u0007', '\u0007'],
    ['a\ue000', 'a\ue000'],
    // Mixed right-to-left and left-to-right: also raw.
    ['\u05d0a', '\u05d0a'],
    ['\u05d0\u05d1', '\u05d0\u05d1'],
  ])('prepares %j as %j', (input, output) => {
    expect(saslPrep(input)).toBe(output);
  });
});
