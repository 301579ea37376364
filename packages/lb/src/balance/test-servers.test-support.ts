// Backend server objects for balancer tests: no sockets, just ids, weights and states.
import { BackendServer } from '../backend-server.js';

export function servers(...specs: Array<string | { readonly id: string; readonly weight: number }>): BackendServer[] {
  return specs.map((spec, index) => {
    const { id, weight } = typeof spec === 'string' ? { id: spec, weight: 1 } : spec;
    return new BackendServer({ id, host: '127.0.0.1', port: 10_000 + index, weight, state: 'up' }, 'test');
  });
}

/** Picks `count` times with every up server a candidate; returns the ids in order. */
export function pickSequence(
  pick: (request: {
    clientAddress: string;
    isCandidate: (server: BackendServer) => boolean;
  }) => BackendServer | undefined,
  count: number,
  isCandidate: (server: BackendServer) => boolean = (server) => server.acceptsNew,
): string[] {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) ids.push(pick({ clientAddress: '192.0.2.1', isCandidate })?.id ?? '-');
  return ids;
}

export function counts(ids: readonly string[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const id of ids) result[id] = (result[id] ?? 0) + 1;
  return result;
}
