// The public API of the SQL type system: the type catalog, text and binary I/O, typmod
// coercion, casts and type resolution, operators, LIKE and built-in functions.
export type { SqlType, SqlTypeName, TypeCategory, TypeInfo } from './types.js';
export {
  SQL_TYPE_NAMES,
  T,
  charLength,
  formatTypeName,
  isStorable,
  numericPrecisionScale,
  numericTypmod,
  parseTypeName,
  sameType,
  sqlType,
  storageTypeOf,
  typeByOid,
  typeInfo,
  typeOid,
} from './types.js';
export type { SqlValue } from './value.js';
export type { Interval } from './interval.js';
export { compareIntervals, formatInterval, isInterval, makeInterval, parseInterval } from './interval.js';
export type { EvalContext } from './context.js';
export { fixedEvalContext } from './context.js';
export { isKnownTimeZone, zoneNameForHours } from './time-zone.js';
export { formatText, parseText } from './text-io.js';
export { decodeBinary, encodeBinary } from './binary-io.js';
export { applyTypmod, charCount } from './coerce.js';
export type { CoercionContext } from './casts.js';
export { canCoerce, castContext, castValue, commonSuperType } from './casts.js';
export { compareSqlValues } from './compare.js';
export type {
  BinaryOperatorFn,
  BinaryOperatorName,
  ResolvedBinaryOperator,
  ResolvedUnaryOperator,
  UnaryOperatorFn,
} from './operators.js';
export { resolveBinaryOperator, resolveUnaryOperator } from './operators.js';
export type { LikeMatcher, LikeOptions } from './like.js';
export { compileLike, like } from './like.js';
export type { FunctionImpl, ResolvedFunction } from './functions.js';
export { functionExists, greatestOrLeast, lookupFunction } from './functions.js';
export * as numeric from './numeric.js';
