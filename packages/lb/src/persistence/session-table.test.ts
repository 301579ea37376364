import { describe, expect, it } from 'vitest';
import { ManualClock } from '@tandem/testkit';
import { SessionTable } from './session-table.js';
import { parseReplicatedSession } from './replicated-session.js';

describe('source-IP session table', () => {
  it('remembers a client until it has been idle too long', () => {
    const clock = new ManualClock();
    const table = new SessionTable(clock, { idleMs: 1000, entriesMax: 10 });
    table.remember('192.0.2.1', 'web1');
    clock.advance(900);
    expect(table.lookup('192.0.2.1')).toBe('web1');
    table.remember('192.0.2.1', 'web1'); // seen again: the idle time starts over
    clock.advance(900);
    expect(table.lookup('192.0.2.1')).toBe('web1');
    clock.advance(101);
    expect(table.lookup('192.0.2.1')).toBeUndefined();
  });

  it('stays within its bound by forgetting the least recently seen client', () => {
    const clock = new ManualClock();
    const table = new SessionTable(clock, { idleMs: 60_000, entriesMax: 3 });
    for (const client of ['a', 'b', 'c']) table.remember(client, 'web1');
    table.remember('a', 'web1'); // a is now the most recent
    table.remember('d', 'web2');
    expect(table.size).toBe(3);
    expect(table.lookup('b')).toBeUndefined();
    expect(table.lookup('a')).toBe('web1');
    expect(table.lookup('d')).toBe('web2');
  });
});

describe('replicated-session cookie', () => {
  it('names the primary and the secondary', () => {
    expect(parseReplicatedSession('s3cr3t!app1!app2')).toEqual({ primary: 'app1', secondary: 'app2' });
    expect(parseReplicatedSession('s3cr3t!app1')).toEqual({ primary: 'app1', secondary: undefined });
    expect(parseReplicatedSession('s3cr3t!app1!NONE')).toEqual({ primary: 'app1', secondary: undefined });
  });

  it('ignores values that are not of that form', () => {
    for (const value of ['plain', '!app1!app2', 's!!app2', 's!a b!c', 's!a!b!c'])
      expect(parseReplicatedSession(value)).toBeUndefined();
  });
});
