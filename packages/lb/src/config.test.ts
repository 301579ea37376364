import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from './config.js';
import { LbError } from './errors.js';

const minimal = `
listeners:
  - { name: web, protocol: http, port: 8080, defaultPool: web }
pools:
  web:
    servers:
      - { id: web1, host: 127.0.0.1, port: 9001 }
`;

function refusal(text: string): string {
  try {
    parseConfig(text, 'lb.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(LbError);
    expect((error as LbError).code).toBe('TLB-1001');
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('lb.yaml', () => {
  it('fills the defaults', () => {
    const config = parseConfig(minimal);
    expect(config.listeners[0]).toMatchObject({ host: '0.0.0.0', rules: [] });
    expect(config.pools.web).toMatchObject({
      algorithm: 'round-robin',
      retries: 2,
      timeouts: { connectMs: 3000, responseMs: 60000, keepAliveMs: 4000 },
      passive: { consecutiveFailures: 3, downMs: 10000, on5xx: true },
      persistence: { kinds: [], cookie: { name: 'TANDEMLB', path: '/', httpOnly: true }, urlParameter: 'lbt' },
    });
    expect(config.pools.web.servers[0]).toMatchObject({ weight: 1, state: 'up' });
    expect(config.limits).toMatchObject({ maxHeaderBytes: 16384, headersTimeoutMs: 10000 });
    expect(config.accessLog).toBe(true);
    expect(config.workers).toBe('auto');
  });

  it('reads workers: auto or a count', () => {
    expect(parseConfig(`${minimal}workers: 2\n`).workers).toBe(2);
    expect(parseConfig(`${minimal}workers: auto\n`).workers).toBe('auto');
    expect(refusal(`${minimal}workers: 0\n`)).toMatch(/workers/);
    expect(refusal(`${minimal}workers: many\n`)).toMatch(/workers/);
  });

  it('reads a full configuration', () => {
    const config = parseConfig(`
listeners:
  - name: web
    protocol: http
    host: 127.0.0.1
    port: 8080
    defaultPool: web
    rules:
      - { host: api.example.com, pathPrefix: /v1/, pool: api }
      - { host: "*.static.example.com", pool: web }
  - { name: pg, protocol: tcp, port: 6432, pool: db }
pools:
  web:
    algorithm: least-connections
    servers:
      - { id: web1, host: 127.0.0.1, port: 9001, weight: 2 }
      - { id: web2, host: 127.0.0.1, port: 9002, state: drain }
    persistence: { kinds: [cookie, url-token], cookie: { name: SRV, maxAgeSeconds: 3600 } }
    backup: sorry
  sorry:
    servers: [{ id: sorry1, host: 127.0.0.1, port: 9100 }]
  api:
    algorithm: response-time
    servers: [{ id: api1, host: 127.0.0.1, port: 9201 }]
    persistence: { kinds: [session-cookie], sessionCookie: JSESSIONID }
  db:
    algorithm: source-hash
    servers: [{ id: db1, host: 127.0.0.1, port: 5544 }]
trustedProxies: [10.0.0.0/8, "::1", 192.0.2.7]
secret: "0123456789abcdef0123456789abcdef"
`);
    expect(config.listeners).toHaveLength(2);
    expect(config.pools.web.persistence.cookie).toMatchObject({ name: 'SRV', maxAgeSeconds: 3600 });
  });

  it('names each bad field', () => {
    expect(refusal(minimal.replace('port: 9001', 'port: 70000'))).toContain('pools.web.servers[0].port');
    expect(refusal(minimal.replace('defaultPool: web', 'defaultPool: nope'))).toContain(
      "listeners[0].defaultPool: no pool named 'nope' (pools: web)",
    );
    expect(refusal(minimal.replace('protocol: http', 'protocol: udp'))).toContain('listeners[0].protocol');
    expect(refusal(minimal.replace('id: web1', 'id: "web 1"'))).toContain('pools.web.servers[0].id');
    expect(refusal(`${minimal}    algorithm: random\n`)).toContain('pools.web.algorithm');
    expect(refusal(`${minimal}    colour: blue\n`)).toContain('pools.web');
    expect(refusal(`${minimal}trustedProxies: [10.0.0.0/33]\n`)).toContain('trustedProxies[0]');
    expect(refusal('listeners: [')).toContain('not valid YAML');
    expect(refusal('- 1')).toContain('expected a mapping');
  });

  it('checks what spans fields: secrets, duplicate ids, backup cycles', () => {
    expect(refusal(`${minimal}    persistence: { kinds: [cookie] }\n`)).toContain(
      'secret: cookie and url-token persistence',
    );
    expect(refusal(`${minimal}    persistence: { kinds: [cookie] }\nsecret: short\n`)).toContain(
      'secret: at least 32 characters',
    );
    expect(refusal(`${minimal}      - { id: web1, host: 127.0.0.1, port: 9002 }\n`)).toContain(
      "pools.web.servers[1].id: 'web1' is already a server of pool 'web'",
    );
    expect(refusal(`${minimal}    backup: web\n`)).toContain('pools.web.backup: backup pools form a cycle');
    expect(refusal(`${minimal}limits: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 }\n`)).toContain(
      'limits.headersTimeoutMs: must not exceed limits.requestTimeoutMs (1000)',
    );
    expect(
      refusal(minimal.replace('pools:', '  - { name: web, protocol: tcp, port: 8081, pool: web }\npools:')),
    ).toContain("listeners[1].name: 'web' is used twice");
  });

  it('reads health checks and the admin listener, with their defaults', () => {
    const config = parseConfig(`${minimal}    health: { path: /health, bodyPattern: "^OK$" }
  db:
    servers:
      - { id: db1, host: 127.0.0.1, port: 5544, health: { type: tcp, intervalMs: 2000, timeoutMs: 1000 } }
admin: {}
`);
    expect(config.pools.web.health).toEqual({
      type: 'http',
      path: '/health',
      expectStatus: [200],
      bodyPattern: '^OK$',
      bodyBytesMax: 65536,
      intervalMs: 500,
      timeoutMs: 400,
      rise: 2,
      fall: 3,
      jitterPercent: 10,
      slowStartMs: 0,
    });
    expect(config.pools.db.health).toBeUndefined();
    expect(config.pools.db.servers[0].health).toMatchObject({ type: 'tcp', intervalMs: 2000, timeoutMs: 1000 });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(parseConfig(minimal).admin).toBeUndefined();
  });

  it('names the bad health and admin fields', () => {
    expect(refusal(`${minimal}    health: { bodyPattern: "(" }\n`)).toContain(
      'pools.web.health.bodyPattern: a valid regular expression',
    );
    expect(refusal(`${minimal}    health: { intervalMs: 100, timeoutMs: 200 }\n`)).toContain(
      'pools.web.health.timeoutMs: timeoutMs must not exceed intervalMs',
    );
    expect(refusal(`${minimal}    health: { type: icmp }\n`)).toContain('pools.web.health.type');
    expect(refusal(`${minimal}    health: { fall: 0 }\n`)).toContain('pools.web.health.fall');
    expect(refusal(`${minimal}    health: { expectStatus: [] }\n`)).toContain('pools.web.health.expectStatus');
    expect(refusal(`${minimal}admin: { host: 0.0.0.0, port: 8080 }\n`)).toContain(
      "admin.port: 0.0.0.0:8080 is also a listener's address",
    );
  });

  it('reads the secret from secretFile, relative to the file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tandem-lb-config-'));
    await writeFile(join(directory, 'secret'), 'x'.repeat(40) + '\n');
    await writeFile(join(directory, 'lb.yaml'), `${minimal}    persistence: { kinds: [cookie] }\nsecretFile: secret\n`);
    const config = await loadConfigFile(join(directory, 'lb.yaml'));
    expect(config.secret).toBe('x'.repeat(40));
    await writeFile(join(directory, 'short'), 'tiny');
    await writeFile(join(directory, 'bad.yaml'), `${minimal}secretFile: short\n`);
    await expect(loadConfigFile(join(directory, 'bad.yaml'))).rejects.toThrow(/TLB-1002.*fewer than 32 bytes/);
    await writeFile(join(directory, 'missing.yaml'), `${minimal}secretFile: nowhere\n`);
    await expect(loadConfigFile(join(directory, 'missing.yaml'))).rejects.toThrow(/TLB-1002.*cannot read/);
  });
});
