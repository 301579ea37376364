// The runtime value of an SQL expression: a storage Value, or an Interval (which exists only
// while a query runs).
import type { Value } from '../../access/value.js';
import type { Interval } from './interval.js';

export type SqlValue = Value | Interval;
