import { describe, expect, it } from 'vitest';
import { poolRig } from '../test/pool-rig.js';
import { PassiveFailureDetector } from './passive-detector.js';

function setup(on5xx = true) {
  const { clock, lines, log, directory, config, servers } = poolRig({
    servers: [{ id: 's1', host: '127.0.0.1', port: 1 }],
    passive: { consecutiveFailures: 3, downMs: 5000, on5xx },
  });
  const server = servers.get('s1')!;
  const detector = new PassiveFailureDetector({
    clock,
    control: directory,
    log,
    configFor: () => config.pools.p.passive,
  });
  return { clock, lines, directory, server, detector };
}

describe('passive failure detection', () => {
  it('marks a server down after N consecutive failures, and a success in between resets the count', () => {
    const { server, detector, lines } = setup();
    detector.reportFailure(server, 'connect', 'ECONNREFUSED');
    detector.reportFailure(server, 'connect', 'ECONNREFUSED');
    detector.reportSuccess(server);
    detector.reportFailure(server, 'status-5xx', 'status 500');
    detector.reportFailure(server, 'timeout', 'slow');
    expect(server.state).toBe('up');
    detector.reportFailure(server, 'connect', 'ECONNREFUSED');
    expect(server.state).toBe('down');
    expect(lines.some((line) => line.includes('[warning] TLB-3102 server s1'))).toBe(true);
    expect(lines.some((line) => line.includes('[warning] TLB-3101 server s1') && line.includes('up -> down'))).toBe(
      true,
    );
  });

  it('tries the server again after downMs, on probation: one more failure marks it down at once', () => {
    const { server, detector, clock } = setup();
    for (let index = 0; index < 3; index++) detector.reportFailure(server, 'connect', 'x');
    clock.advance(4999);
    expect(server.state).toBe('down');
    clock.advance(1);
    expect(server.state).toBe('up');
    detector.reportFailure(server, 'connect', 'x');
    expect(server.state).toBe('down');
    clock.advance(5000);
    detector.reportSuccess(server);
    detector.reportFailure(server, 'connect', 'x');
    expect(server.state).toBe('up');
  });

  it('leaves 5xx alone when the pool says so, and never overrides an operator', () => {
    const { server, detector, directory, clock } = setup(false);
    for (let index = 0; index < 5; index++) detector.reportFailure(server, 'status-5xx', 'status 503');
    expect(server.state).toBe('up');
    directory.setState('s1', 'maintenance', 'operator');
    for (let index = 0; index < 5; index++) detector.reportFailure(server, 'connect', 'x');
    expect(server.state).toBe('maintenance');
    directory.setState('s1', 'up', 'operator');
    for (let index = 0; index < 3; index++) detector.reportFailure(server, 'connect', 'x');
    expect(server.state).toBe('down');
    directory.setState('s1', 'maintenance', 'operator during the down time');
    clock.advance(10_000);
    expect(server.state).toBe('maintenance');
  });

  it('cancels its timers when closed', () => {
    const { server, detector, clock } = setup();
    for (let index = 0; index < 3; index++) detector.reportFailure(server, 'connect', 'x');
    detector.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
