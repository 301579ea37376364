// A TCP health check: the server is healthy if it accepts a connection. For servers that
// do not speak HTTP (the TCP listeners' pools: a database, a mail relay).
import { connect } from 'node:net';
import type { ProbeResult, ProbeTarget } from './probe.js';

export function probeTcp(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    const socket = connect({ host: target.host, port: target.port });
    const settle = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => settle({ ok: false, detail: 'aborted' });
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) onAbort();
    socket.once('connect', () => settle({ ok: true, detail: 'connected' }));
    socket.once('error', (error: NodeJS.ErrnoException) => settle({ ok: false, detail: error.code ?? error.message }));
  });
}
