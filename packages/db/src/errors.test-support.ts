// Test support: the DbError an action throws.
import { DbError } from './errors.js';

/** Runs `action` and returns the DbError it throws; fails if it throws nothing or something else. */
export function errorOf(action: () => unknown): DbError {
  try {
    action();
  } catch (error) {
    if (error instanceof DbError) return error;
    throw error;
  }
  throw new Error('expected a DbError, nothing was thrown');
}
