// Operating errors of the load balancer: each has a stable TLB code that log lines, error
// bodies and the log monitor share. Bugs are not LbErrors; they are assertion failures
// (see assert.ts).

/** The catalogue of codes. A code, once released, keeps its meaning forever. */
export const TlbCode = {
  // 1xxx: configuration
  /** lb.yaml is not valid YAML or fails validation; the message names each bad field. */
  INVALID_CONFIG: 'TLB-1001',
  /** The secret file named by secretFile cannot be read or is too short. */
  SECRET_UNREADABLE: 'TLB-1002',
  // 2xxx: listeners
  /** A listener could not bind its address (in use, no permission). */
  LISTEN_FAILED: 'TLB-2001',
  // 3xxx: backends
  /** No server of the pool (or its backup pool) can take the request: answered 503. */
  NO_SERVER_AVAILABLE: 'TLB-3001',
  /** The connection to a backend failed or was refused. */
  UPSTREAM_CONNECT_FAILED: 'TLB-3002',
  /** The backend did not connect, answer or send within its configured timeout. */
  UPSTREAM_TIMEOUT: 'TLB-3003',
  /** The backend's connection broke after the request was sent: answered 502. */
  UPSTREAM_BROKEN: 'TLB-3004',
  /** The backend's response is not valid HTTP/1.1 (malformed head, ambiguous framing, bad chunks): answered 502. */
  UPSTREAM_INVALID_RESPONSE: 'TLB-3005',
  /** A server changed state (up, down, drain, maintenance). */
  SERVER_STATE_CHANGED: 'TLB-3101',
  /** Passive detection saw consecutive failures of a server and marked it down. */
  SERVER_FAILING: 'TLB-3102',
  /** A backend set the load balancer's own persistence cookie; the load balancer's value wins. */
  APPLICATION_COOKIE_CONFLICT: 'TLB-3103',
  /** Active health checks of a server failed `fall` times in a row: it is marked down. */
  HEALTH_CHECK_FAILED: 'TLB-3104',
  /** Active health checks of a server passed `rise` times in a row: it comes back. */
  HEALTH_CHECK_PASSED: 'TLB-3105',
  // 4xxx: clients
  /** A malformed or ambiguous request (smuggling shapes such as Transfer-Encoding with Content-Length). */
  BAD_REQUEST: 'TLB-4001',
  /** The request's header section is larger than limits.maxHeaderBytes. */
  HEADERS_TOO_LARGE: 'TLB-4002',
  /** A client too slow to send its headers or its request. */
  CLIENT_TIMEOUT: 'TLB-4003',
  // 5xxx: the admin API
  /** An admin API request that cannot be done: unknown server, bad state or weight, bad JSON. */
  ADMIN_BAD_REQUEST: 'TLB-5001',
} as const;

export type TlbCodeName = keyof typeof TlbCode;

export class LbError extends Error {
  override readonly name = 'LbError';
  /** The stable TLB-nnnn code. */
  readonly code: string;
  readonly codeName: TlbCodeName;

  constructor(codeName: TlbCodeName, message: string, options?: { cause?: unknown }) {
    super(`${TlbCode[codeName]}: ${message}`, options);
    this.codeName = codeName;
    this.code = TlbCode[codeName];
  }
}
