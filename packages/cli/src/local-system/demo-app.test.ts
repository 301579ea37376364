// The demo app server in this process, on a free loopback port: its pages, its counts, its
// answers to what it does not serve, and its log when the database is missing. `/db` against
// a real database runs in the `tandem up` end-to-end test (commands/up.test.ts).
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_PID_HEADER, APP_SERVER_HEADER, DemoApp, HEALTHY_BODY, type DemoLogLevel } from './demo-app.js';
import { httpGet, type Reply } from './test-processes.js';

const running: DemoApp[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.stop(1000);
});

async function startApp(): Promise<{ app: DemoApp; logs: Array<[DemoLogLevel, string]> }> {
  const logs: Array<[DemoLogLevel, string]> = [];
  const app = await DemoApp.start({
    id: 'app7',
    host: '127.0.0.1',
    port: 0,
    log: (level, message) => logs.push([level, message]),
  });
  running.push(app);
  return { app, logs };
}

function send(port: number, method: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, method, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('DemoApp', () => {
  it('names itself on / and counts the requests it serves, not the health checks', async () => {
    const { app } = await startApp();
    const { port } = app.address;
    const first = await httpGet(port, '/');
    expect(first.status).toBe(200);
    expect(first.headers[APP_SERVER_HEADER.toLowerCase()]).toBe('app7');
    expect(first.headers[APP_PID_HEADER.toLowerCase()]).toBe(String(process.pid));
    expect(first.body).toContain('Tandem demo app server app7');
    expect(first.body).toContain(`pid ${process.pid}, listening on 127.0.0.1:${port}`);
    expect(first.body).toContain('requests: 1 served by app7');

    const health = await httpGet(port, '/health');
    expect(health.status).toBe(200);
    expect(health.body).toBe(`${HEALTHY_BODY}\n`);

    const second = await httpGet(port, '/?again');
    expect(second.body).toContain('requests: 2 served by app7');
    expect(app.requestsServed).toBe(2);
  });

  it('answers HEAD without a body, refuses other methods with 405, and unknown paths with 404', async () => {
    const { app } = await startApp();
    const { port } = app.address;
    const head = await send(port, 'HEAD', '/');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    const post = await send(port, 'POST', '/');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const missing = await httpGet(port, '/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('no page /nowhere here');
  });

  it('answers /db with 503 and TUP-0004, logged as an [error], when it has no database', async () => {
    const { app, logs } = await startApp();
    const reply = await httpGet(app.address.port, '/db');
    expect(reply.status).toBe(503);
    expect(reply.body).toMatch(/^TUP-0004: app server app7: the database query failed: /);
    expect(logs).toEqual([['error', reply.body.trimEnd()]]);
  });

  it('refuses to start on a taken port, and stops listening when stopped', async () => {
    const { app } = await startApp();
    const { port } = app.address;
    await expect(DemoApp.start({ id: 'twin', host: '127.0.0.1', port, log: () => undefined })).rejects.toThrow(
      /EADDRINUSE/,
    );
    await app.stop(1000);
    await expect(httpGet(port, '/')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
