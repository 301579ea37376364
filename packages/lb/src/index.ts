// @tandem/lb: the load balancer. See README.md for the configuration (lb.yaml) and how the
// parts fit: proxies, balancing, persistence, health checks, the admin API and metrics.
export { LoadBalancer, type ListenerInfo, type LoadBalancerOptions } from './load-balancer.js';
export {
  ALGORITHMS,
  PERSISTENCE_KINDS,
  SERVER_STATES,
  loadConfigFile,
  parseConfig,
  validateConfig,
  type AdminConfig,
  type Algorithm,
  type HealthConfig,
  type HttpListenerConfig,
  type LbConfig,
  type LimitsConfig,
  type ListenerConfig,
  type PassiveConfig,
  type PersistenceConfig,
  type PersistenceKind,
  type PoolConfig,
  type RuleConfig,
  type ServerConfig,
  type ServerState,
  type TcpListenerConfig,
  type TimeoutsConfig,
} from './config.js';
export { LbError, TlbCode, type TlbCodeName } from './errors.js';
export { AccessLog, EventLog, type AccessRecord, type LineSink, type LogLevel } from './log.js';
export { BackendServer, SLOW_START_FLOOR } from './backend-server.js';
export {
  HealthChecker,
  type CheckedServer,
  type HealthCheckerOptions,
  type HealthStatus,
} from './health/health-checker.js';
export type { Prober, ProbeResult, ProbeTarget } from './health/probe.js';
export { NodeProber } from './health/node-prober.js';
export { AdminServer, type AdminServices } from './admin.js';
export { LbMetrics } from './metrics.js';
export { ServerDirectory, type ServerControl, type ServerStateChange, type ServerView } from './server-directory.js';
export { PassiveFailureDetector, type FailureKind, type PassiveObserver } from './passive-detector.js';
export type { Balancer, BalancerContext, PickRequest } from './balance/balancer.js';
export { createBalancer } from './balance/create-balancer.js';
export { WeightedRoundRobin } from './balance/weighted-round-robin.js';
export { LeastConnections } from './balance/least-connections.js';
export { ResponseTime, type ResponseTimeOptions } from './balance/response-time.js';
export { ConsistentHashRing, SourceHash } from './balance/consistent-hash.js';
export { ServerTokenSigner, type TokenPurpose } from './persistence/server-token.js';
export { SessionTable } from './persistence/session-table.js';
export { parseReplicatedSession, type ReplicatedSession } from './persistence/replicated-session.js';
export { extractUrlToken } from './persistence/url-token.js';
export { URL_TOKEN_HEADER } from './http/forward-headers.js';
