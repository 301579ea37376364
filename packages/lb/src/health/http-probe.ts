// An HTTP health check: GET the configured path on a fresh connection, then judge the status
// and, if a bodyPattern is set, the first bodyBytesMax bytes of the body (the seed's content
// monitoring: a server that answers 200 with an error page is not healthy).
import { request as httpRequest } from 'node:http';
import type { ProbeResult, ProbeTarget } from './probe.js';

export function probeHttp(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
  const { health } = target;
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    const settle = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const req = httpRequest({
      host: target.host,
      port: target.port,
      method: 'GET',
      path: health.path,
      // A fresh connection per check: a pooled one could hide a server that accepts no new ones.
      agent: false,
      headers: {
        Host: health.host ?? `${target.host}:${target.port}`,
        'User-Agent': 'tandem-lb-health-check',
        Connection: 'close',
        Accept: '*/*',
      },
    });
    const onAbort = (): void => {
      req.destroy();
      settle({ ok: false, detail: 'aborted' });
    };
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) onAbort();
    req.on('error', (error: NodeJS.ErrnoException) => settle({ ok: false, detail: error.code ?? error.message }));
    req.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (!health.expectStatus.includes(status)) {
        response.destroy();
        settle({ ok: false, detail: `status ${status}, expected ${health.expectStatus.join(' or ')}` });
        return;
      }
      if (health.bodyPattern === undefined) {
        response.destroy();
        settle({ ok: true, detail: `status ${status}` });
        return;
      }
      const pattern = new RegExp(health.bodyPattern);
      const chunks: Buffer[] = [];
      let bytes = 0;
      const judge = (): void => {
        const body = Buffer.concat(chunks).subarray(0, health.bodyBytesMax).toString('utf8');
        settle(
          pattern.test(body)
            ? { ok: true, detail: `status ${status}, body matches /${health.bodyPattern}/` }
            : { ok: false, detail: `status ${status}, body does not match /${health.bodyPattern}/` },
        );
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        bytes += chunk.length;
        if (bytes >= health.bodyBytesMax) {
          judge();
          response.destroy();
        }
      });
      response.on('end', judge);
      response.on('error', (error: NodeJS.ErrnoException) =>
        settle({ ok: false, detail: `body: ${error.code ?? error.message}` }),
      );
      response.on('close', () => {
        if (!response.complete) settle({ ok: false, detail: 'connection closed mid-body' });
      });
    });
    req.end();
  });
}
