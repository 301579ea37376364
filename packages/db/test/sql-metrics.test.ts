// The server's health and Prometheus endpoints, read as a scraper and a load balancer do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './sql-server.js';

let db: TestServer;

beforeAll(async () => {
  db = await startTestServer();
});

afterAll(async () => {
  await db.stop();
});

function url(path: string): string {
  const address = db.server.metricsAddress;
  if (address === undefined) throw new Error('the server has no metrics listener');
  return `http://${address.host}:${address.port}${path}`;
}

/** The value of one sample line of the exposition text, by metric name and label text. */
function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(labels));
  if (line === undefined) throw new Error(`no sample ${name}{${labels}} in:\n${text}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('health and metrics', () => {
  it('answers /health with 200 and the stage while OPEN', async () => {
    const response = await fetch(url('/health'));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', stage: 'OPEN', database: 'tandem' });
  });

  it('exposes the instance, sessions, redo and errors for Prometheus, moving as the database works', async () => {
    const client = await db.client();
    const before = await (await fetch(url('/metrics'))).text();
    expect(sample(before, 'tandem_db_instance_stage', 'stage="OPEN"')).toBe(1);
    expect(sample(before, 'tandem_db_instance_stage', 'stage="MOUNT"')).toBe(0);
    expect(sample(before, 'tandem_db_sessions', 'database="tandem"')).toBeGreaterThanOrEqual(1);

    await client.query('create table metered (n int primary key)');
    for (let i = 0; i < 20; i++) await client.query(`insert into metered values (${i})`);
    await expect(client.query('insert into metered values (1)')).rejects.toMatchObject({ code: '23505' });

    const response = await fetch(url('/metrics'));
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const after = await response.text();
    expect(sample(after, 'tandem_db_current_tsn', 'database')).toBeGreaterThan(
      sample(before, 'tandem_db_current_tsn', 'database'),
    );
    expect(sample(after, 'tandem_db_redo_write_rounds_total', 'database')).toBeGreaterThan(
      sample(before, 'tandem_db_redo_write_rounds_total', 'database'),
    );
    expect(sample(after, 'tandem_db_errors_total', 'sqlstate_class="23"')).toBeGreaterThanOrEqual(1);
    expect(after).toContain('# TYPE tandem_db_redo_bytes_total counter');
  });

  it('refuses other paths and methods plainly', async () => {
    expect((await fetch(url('/nope'))).status).toBe(404);
    expect((await fetch(url('/metrics'), { method: 'POST' })).status).toBe(405);
  });
});
