// The floor for a load balancer written on node: the least an HTTP/1.1 proxy on node's net
// sockets can do per request, with none of what makes tandem lb a product (no strict
// parsing, header rewriting, routing, persistence, health, retries, timeouts, metrics or
// logs). It relays a request head as it came, round robin over kept-alive backend
// connections, and a response framed by Content-Length. bench/src/lb.ts runs it as the
// proxy `node-floor`, so that tandem's figure can be read against what node itself costs
// on the same machine in the same run. Only GET without a body and length-framed responses
// work; anything else is out of scope for this measurement.
//
//   node bench/dist/lb-floor.js <port> <workers> <backend port>...
import cluster from 'node:cluster';
import { connect, createServer, type Socket } from 'node:net';

const host = '127.0.0.1';
const [portText, workersText, ...backendTexts] = process.argv.slice(2);
const port = Number(portText);
const workers = Number(workersText);
const backends = backendTexts.map(Number);
const HEAD_END = Buffer.from('\r\n\r\n');

if (cluster.isPrimary && workers > 1) {
  for (let index = 0; index < workers; index++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    process.exit(0);
  });
} else {
  serve();
}

function serve(): void {
  const idle: Socket[][] = backends.map(() => []);
  let next = 0;

  const withConnection = (use: (socket: Socket, backend: number) => void): void => {
    const backend = next;
    next = (next + 1) % backends.length;
    const socket = idle[backend].pop();
    if (socket !== undefined) {
      use(socket, backend);
      return;
    }
    const fresh = connect({ host, port: backends[backend], noDelay: true });
    fresh.on('error', () => fresh.destroy());
    fresh.once('connect', () => use(fresh, backend));
  };

  createServer({ noDelay: true }, (client) => {
    client.on('error', () => client.destroy());
    let pending: Buffer | undefined;
    let busy = false;
    const pump = (): void => {
      if (busy || pending === undefined) return;
      const end = pending.indexOf(HEAD_END);
      if (end < 0) return;
      const head = pending.subarray(0, end + 4);
      pending = pending.length > end + 4 ? pending.subarray(end + 4) : undefined;
      busy = true;
      withConnection((upstream, backend) => {
        let response: Buffer | undefined;
        let remaining = -1;
        const onData = (chunk: Buffer): void => {
          if (remaining < 0) {
            response = response === undefined ? chunk : Buffer.concat([response, chunk]);
            const headEnd = response.indexOf(HEAD_END);
            if (headEnd < 0) return;
            const match = /\r\ncontent-length:\s*(\d+)/i.exec(response.toString('latin1', 0, headEnd));
            remaining = headEnd + 4 + Number(match?.[1] ?? 0) - response.length;
            client.write(response);
          } else {
            remaining -= chunk.length;
            client.write(chunk);
          }
          if (remaining <= 0) {
            upstream.off('data', onData);
            idle[backend].push(upstream);
            busy = false;
            pump();
          }
        };
        upstream.on('data', onData);
        upstream.write(head);
      });
    };
    client.on('data', (chunk: Buffer) => {
      pending = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      pump();
    });
  }).listen(port, host);
}
