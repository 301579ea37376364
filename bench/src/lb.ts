// The load balancer against its anchors, in one run on the same machine: wrk drives, in
// turn, tandem lb, HAProxy (Debian's package, roundrobin, nbthread = cores), nginx
// proxy_pass (an upstream with keepalive, worker_processes = cores) and node-floor (the
// least a node proxy can do per request, lb-floor.ts, one process per core), all in front of the
// same N backends: one nginx instance (1 worker) serving a small static answer on N ports of
// 127.0.0.1, so the backends cost little and the same for every proxy. Access logs are off
// for all three. Each process this harness starts is stopped by its pid.
//
//   scripts/install-system-deps.sh --bench && npm run build
//   node bench/dist/lb.js [--duration 10] [--connections 64] [--threads 2] [--backends 2]
//     [--only tandem|haproxy|nginx|node-floor] [--profile] [--profile-dir <dir>] [--json <file>]
//
// It prints req/s and p99 latency per proxy and the ratios tandem/haproxy and tandem/nginx;
// the last line of stdout is the results as JSON. --profile runs tandem under
// `node --cpu-prof` (the profile lands in --profile-dir, default bench/.work/lb-profile).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { availableParallelism, cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printTable, round } from './harness.js';

type ProxyName = 'tandem' | 'haproxy' | 'nginx' | 'node-floor';
const PROXIES: readonly ProxyName[] = ['tandem', 'haproxy', 'nginx', 'node-floor'];
const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const host = '127.0.0.1';
/** The static answer every backend gives (nginx `return 200`). */
const BODY = 'hello from a tandem bench backend\n';

interface Result {
  readonly proxy: ProxyName;
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly p50Ms: number;
  readonly non2xx: number;
  readonly socketErrors: string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, host, done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Polls until something accepts on the port: at most 200 tries, 50 ms apart. */
async function waitForPort(port: number, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const open = await new Promise<boolean>((done) => {
      const socket = connect(port, host);
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`${what} did not listen on ${host}:${port}`);
}

interface Started {
  readonly child: ChildProcess;
  readonly output: string[];
}

function start(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output };
}

/** SIGTERM (SIGINT for node, which stops gracefully on it), then SIGKILL after 10 s. */
async function stop(started: Started, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  process.kill(child.pid, signal);
  const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function nginxBackendsConfig(dir: string, ports: readonly number[]): string {
  const servers = ports
    .map(
      (port) =>
        `  server { listen ${host}:${port}; keepalive_requests 100000; location / { default_type text/plain; return 200 ${JSON.stringify(BODY.trimEnd())}; } }`,
    )
    .join('\n');
  return nginxCommon(dir, 1, servers);
}

function nginxProxyConfig(dir: string, port: number, backendPorts: readonly number[], workers: number): string {
  const upstream = backendPorts.map((backend) => `    server ${host}:${backend};`).join('\n');
  return nginxCommon(
    dir,
    workers,
    `  upstream backends {\n${upstream}\n    keepalive 64;\n  }\n` +
      `  server {\n    listen ${host}:${port};\n    keepalive_requests 100000;\n    location / {\n` +
      `      proxy_pass http://backends;\n      proxy_http_version 1.1;\n      proxy_set_header Connection "";\n    }\n  }`,
  );
}

function nginxCommon(dir: string, workers: number, http: string): string {
  return [
    `worker_processes ${workers};`,
    'daemon off;',
    'master_process on;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${join(dir, 'body')};`,
    `  proxy_temp_path ${join(dir, 'proxy')};`,
    `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
    `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
    `  scgi_temp_path ${join(dir, 'scgi')};`,
    http,
    '}',
    '',
  ].join('\n');
}

function haproxyConfig(port: number, backendPorts: readonly number[], threads: number): string {
  return [
    'global',
    `  nbthread ${threads}`,
    // HAProxy raises its fd limit to about 2 × maxconn; stay within a 20,000-descriptor ulimit.
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  timeout connect 3s',
    '  timeout client 60s',
    '  timeout server 60s',
    'frontend web',
    `  bind ${host}:${port}`,
    '  default_backend backends',
    'backend backends',
    '  balance roundrobin',
    '  http-reuse always',
    ...backendPorts.map((backend, index) => `  server b${index + 1} ${host}:${backend}`),
    '',
  ].join('\n');
}

function tandemConfig(port: number, backendPorts: readonly number[], workers: string): string {
  return [
    'listeners:',
    `  - { name: web, protocol: http, host: ${host}, port: ${port}, defaultPool: web }`,
    'pools:',
    '  web:',
    '    algorithm: round-robin',
    '    servers:',
    ...backendPorts.map((backend, index) => `      - { id: b${index + 1}, host: ${host}, port: ${backend} }`),
    'accessLog: false',
    `workers: ${workers}`,
    '',
  ].join('\n');
}

/** wrk's latency figure (`123.45us`, `1.20ms`, `2.00s`) in milliseconds. */
function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (match === null) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us'
    ? value / 1000
    : match[2] === 'ms'
      ? value
      : match[2] === 's'
        ? value * 1000
        : value * 60_000;
}

async function runWrk(
  proxy: ProxyName,
  port: number,
  options: { duration: number; connections: number; threads: number },
): Promise<Result> {
  // Warm-up (JIT, pooled connections), then the measured run.
  for (const seconds of [2, options.duration]) {
    const wrk = start('wrk', [
      `-t${options.threads}`,
      `-c${options.connections}`,
      `-d${seconds}s`,
      '--latency',
      `http://${host}:${port}/`,
    ]);
    const code = await new Promise<number>((done) => wrk.child.once('exit', (exitCode) => done(exitCode ?? 1)));
    if (code !== 0) throw new Error(`wrk against ${proxy} failed: ${wrk.output.join('')}`);
    if (seconds !== options.duration) continue;
    const text = wrk.output.join('');
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
    const p99 = /^\s+99%\s+(\S+)/m.exec(text);
    const p50 = /^\s+50%\s+(\S+)/m.exec(text);
    const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
    const errors = /Socket errors: (.*)/.exec(text);
    if (rps === null || p99 === null || p50 === null) throw new Error(`cannot read wrk's output:\n${text}`);
    return {
      proxy,
      requestsPerSecond: Number(rps[1]),
      p99Ms: toMs(p99[1]),
      p50Ms: toMs(p50[1]),
      non2xx: non2xx === null ? 0 : Number(non2xx[1]),
      socketErrors: errors === null ? 'none' : errors[1],
    };
  }
  throw new Error('unreachable');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '64' },
      threads: { type: 'string', default: '2' },
      backends: { type: 'string', default: '2' },
      only: { type: 'string', multiple: true },
      profile: { type: 'boolean', default: false },
      'profile-dir': { type: 'string', default: join(repositoryRoot, 'bench', '.work', 'lb-profile') },
      json: { type: 'string' },
      // tandem lb's worker processes: auto (one per core, like HAProxy's nbthread and nginx's worker_processes) or a count.
      workers: { type: 'string', default: 'auto' },
    },
  });
  const options = {
    duration: Number(values.duration),
    connections: Number(values.connections),
    threads: Number(values.threads),
  };
  const backendCount = Number(values.backends);
  const cores = availableParallelism();
  const only = (values.only ?? [...PROXIES]) as ProxyName[];
  const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-lb-'));
  const running: Array<[Started, NodeJS.Signals]> = [];
  const results: Result[] = [];
  try {
    const backendPorts = await Promise.all(Array.from({ length: backendCount }, () => freePort()));
    await mkdir(join(dir, 'backends'));
    await writeFile(join(dir, 'backends', 'nginx.conf'), nginxBackendsConfig(join(dir, 'backends'), backendPorts));
    const backends = start('nginx', ['-c', join(dir, 'backends', 'nginx.conf')]);
    running.push([backends, 'SIGTERM']);
    for (const port of backendPorts) await waitForPort(port, 'the nginx backends');
    console.log(
      `[notice] ${backendCount} backends (nginx, 1 worker) on ${backendPorts.join(', ')}; ${cores} cores (${cpus()[0]?.model ?? '?'}), ${release()}; wrk -t${options.threads} -c${options.connections} -d${options.duration}s`,
    );
    for (const proxy of PROXIES) {
      if (!only.includes(proxy)) continue;
      const port = await freePort();
      let started: Started;
      let signal: NodeJS.Signals = 'SIGTERM';
      if (proxy === 'tandem') {
        const file = join(dir, 'lb.yaml');
        await writeFile(file, tandemConfig(port, backendPorts, values.workers));
        const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values['profile-dir']}`] : [];
        if (values.profile) await mkdir(values['profile-dir'], { recursive: true });
        started = start(process.execPath, [
          ...nodeArgs,
          join(repositoryRoot, 'packages', 'cli', 'bin', 'tandem.js'),
          'lb',
          'start',
          '--config',
          file,
          '--grace-ms',
          '1000',
        ]);
        signal = 'SIGINT';
      } else if (proxy === 'haproxy') {
        const file = join(dir, 'haproxy.cfg');
        await writeFile(file, haproxyConfig(port, backendPorts, cores));
        started = start('haproxy', ['-db', '-f', file]);
      } else if (proxy === 'node-floor') {
        const floor = join(repositoryRoot, 'bench', 'dist', 'lb-floor.js');
        started = start(process.execPath, [floor, String(port), String(cores), ...backendPorts.map(String)]);
      } else {
        const proxyDir = join(dir, 'nginx-proxy');
        await mkdir(proxyDir);
        await writeFile(join(proxyDir, 'nginx.conf'), nginxProxyConfig(proxyDir, port, backendPorts, cores));
        started = start('nginx', ['-c', join(proxyDir, 'nginx.conf')]);
      }
      running.push([started, signal]);
      try {
        await waitForPort(port, proxy);
      } catch (error) {
        throw new Error(`${String(error)}; its output: ${started.output.join('')}`, { cause: error });
      }
      const result = await runWrk(proxy, port, options);
      results.push(result);
      console.log(
        `[notice] ${proxy}: ${round(result.requestsPerSecond)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, non-2xx ${result.non2xx}, socket errors ${result.socketErrors}`,
      );
      await stop(started, signal);
      running.pop();
    }
  } finally {
    for (const [started, signal] of running.reverse()) await stop(started, signal);
    await rm(dir, { recursive: true, force: true });
  }
  const of = (proxy: ProxyName): Result | undefined => results.find((result) => result.proxy === proxy);
  const tandem = of('tandem');
  printTable(
    'load balancer throughput (wrk, same backends, one run)',
    results.map((result) => ({
      proxy: result.proxy,
      'req/s': round(result.requestsPerSecond),
      'p50 ms': result.p50Ms,
      'p99 ms': result.p99Ms,
      'tandem/this req/s':
        tandem === undefined ? '-' : `${round(tandem.requestsPerSecond / result.requestsPerSecond, 2)}x`,
    })),
  );
  const summary = {
    cores,
    wrk: options,
    backends: backendCount,
    results,
    ratios: {
      tandemOverHaproxy:
        tandem && of('haproxy') ? round(tandem.requestsPerSecond / of('haproxy')!.requestsPerSecond, 3) : null,
      tandemOverNginx:
        tandem && of('nginx') ? round(tandem.requestsPerSecond / of('nginx')!.requestsPerSecond, 3) : null,
      tandemOverNodeFloor:
        tandem && of('node-floor') ? round(tandem.requestsPerSecond / of('node-floor')!.requestsPerSecond, 3) : null,
    },
  };
  if (values.json !== undefined) await writeFile(values.json, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary));
}

main().catch((error: unknown) => {
  console.error(`[error] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
