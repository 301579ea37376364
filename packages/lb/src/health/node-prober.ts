// The prober the load balancer uses: real HTTP and TCP checks over node's sockets.
import { probeHttp } from './http-probe.js';
import type { Prober, ProbeResult, ProbeTarget } from './probe.js';
import { probeTcp } from './tcp-probe.js';

export class NodeProber implements Prober {
  probe(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    return target.health.type === 'tcp' ? probeTcp(target, signal) : probeHttp(target, signal);
  }
}
