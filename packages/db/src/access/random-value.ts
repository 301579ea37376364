// Seeded random column values for property tests and workloads: a mix of each type's edge
// values, small values (so tuples often tie and later columns decide) and wide random ones.
import type { Random } from '@tandem/testkit';
import { unreachable } from '../assert.js';
import type { ColumnType, Value } from './value.js';
import { NUMERIC_MAX_DIGITS, validateValue } from './value.js';

const INT8_EDGES = [-(1n << 63n), -(1n << 63n) + 1n, -1n, 0n, 1n, (1n << 63n) - 1n];
const FLOAT8_EDGES = [
  0,
  -0,
  NaN,
  Infinity,
  -Infinity,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  1,
  -1,
  0.5,
  -2.5,
];
// Characters that stress the codecs: NUL (escaped in keys), the ends of each UTF-8 length,
// U+FFFF against U+10000 (UTF-16 order differs from code point order there).
const TEXT_ALPHABET = ['a', 'b', '\0', '\x7f', '\x80', 'é', '\u07ff', '\u0800', '\uE000', '\uFFFF', '\u{10000}', '😀'];
const BYTE_ALPHABET = [0, 1, 0x7f, 0x80, 0xfe, 0xff];
const float64 = new Float64Array(1);
const float64Bytes = new Uint8Array(float64.buffer);

/** A random valid value of `type`, NULL with probability `nullProbability`. */
export function randomValue(random: Random, type: ColumnType, nullProbability = 0.1): Value {
  if (random.chance(nullProbability)) return null;
  switch (type) {
    case 'bool':
      return random.chance(0.5);
    case 'int2':
      return random.chance(0.3) ? random.pick([-0x8000, -1, 0, 1, 0x7fff]) : random.int(-0x8000, 0x8000);
    case 'int4':
    case 'date':
      if (random.chance(0.3)) return random.pick([-0x8000_0000, -1, 0, 1, 0x7fff_ffff]);
      return random.chance(0.5) ? random.int(-5, 5) : random.nextUint32() | 0;
    case 'int8':
    case 'timestamp':
      if (random.chance(0.3)) return random.pick(INT8_EDGES);
      if (random.chance(0.5)) return BigInt(random.int(-5, 5));
      return BigInt.asIntN(64, (BigInt(random.nextUint32()) << 32n) | BigInt(random.nextUint32()));
    case 'float8':
      if (random.chance(0.4)) return random.pick(FLOAT8_EDGES);
      if (random.chance(0.3)) return random.int(-5, 5) / 4;
      random.fillBytes(float64Bytes); // any bit pattern: subnormals, NaN payloads, negative NaN
      return float64[0];
    case 'numeric':
      return randomNumeric(random);
    case 'text': {
      let text = '';
      for (let i = random.int(0, random.chance(0.9) ? 6 : 40); i > 0; i--) {
        text += random.chance(0.8) ? random.pick(TEXT_ALPHABET) : randomCodePoint(random);
      }
      return text;
    }
    case 'bytea': {
      const bytes = new Uint8Array(random.int(0, random.chance(0.9) ? 6 : 40));
      for (let i = 0; i < bytes.length; i++)
        bytes[i] = random.chance(0.7) ? random.pick(BYTE_ALPHABET) : random.int(0, 256);
      return bytes;
    }
    default:
      return unreachable(type, 'column type');
  }
}

/** A random tuple of values for `types`. */
export function randomTuple(random: Random, types: readonly ColumnType[], nullProbability = 0.1): Value[] {
  return types.map((type) => randomValue(random, type, nullProbability));
}

function randomNumeric(random: Random): string {
  const wide = random.chance(0.05);
  const integerDigits = random.int(0, wide ? 600 : 5);
  const fractionDigits = random.int(0, wide ? NUMERIC_MAX_DIGITS - integerDigits + 1 : 5);
  // Mostly 0, 1 and 9, so values share digits and tie on magnitude.
  const digit = (): string => String(random.chance(0.6) ? random.pick([0, 1, 9]) : random.int(0, 10));
  let text = random.chance(0.4) ? '-' : '';
  for (let i = 0; i < integerDigits; i++) text += digit();
  if (fractionDigits > 0 || integerDigits === 0) text += '.';
  for (let i = 0; i < fractionDigits; i++) text += digit();
  if (integerDigits === 0 && fractionDigits === 0) text += '0';
  return validateValue('numeric', text, 'random') as string;
}

function randomCodePoint(random: Random): string {
  for (;;) {
    const point = random.int(1, 0x11_0000);
    if (point < 0xd800 || point > 0xdfff) return String.fromCodePoint(point);
  }
}
