// The app tier's replicated-session cookie, as WebLogic writes JSESSIONID:
// `<session id>!<primary server>!<secondary server>`. The primary holds the session, the
// secondary a replica; the load balancer routes to the primary, and to the secondary when the
// primary cannot take it (which then becomes the primary and picks a new secondary). Our app
// tier names servers by the load balancer's server ids. WebLogic writes NONE for a missing
// secondary.

export interface ReplicatedSession {
  readonly primary: string;
  readonly secondary: string | undefined;
}

const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function parseReplicatedSession(value: string): ReplicatedSession | undefined {
  const parts = value.split('!');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '') return undefined;
  const primary = parts[1];
  if (!SERVER_ID.test(primary) || primary === 'NONE') return undefined;
  const secondary = parts[2];
  return {
    primary,
    secondary: secondary !== undefined && SERVER_ID.test(secondary) && secondary !== 'NONE' ? secondary : undefined,
  };
}
