// The RECOVER statement for each target of `tandem db recover`, checked before the server is touched.
import { describe, expect, it } from 'vitest';
import { recoverStatement } from './recover-database.js';

describe('recoverStatement', () => {
  it("uses Tibero's syntax", () => {
    expect(recoverStatement(undefined)).toBe('ALTER DATABASE RECOVER AUTOMATIC DATABASE');
    expect(recoverStatement({ kind: 'cancel' })).toBe('ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL CANCEL');
    expect(recoverStatement({ kind: 'tsn', tsn: '81234' })).toBe(
      'ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL CHANGE 81234',
    );
    expect(recoverStatement({ kind: 'time', time: '2026-11-21 10:30:00' })).toBe(
      "ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL TIME '2026-11-21 10:30:00'",
    );
  });

  it('refuses malformed targets with a usage error', () => {
    expect(() => recoverStatement({ kind: 'tsn', tsn: '12a' })).toThrow(/^TBAK-0001: --until-tsn must be a TSN/);
    expect(() => recoverStatement({ kind: 'time', time: "2026-11-21'; drop" })).toThrow(
      /^TBAK-0001: --until-time must be/,
    );
  });
});
