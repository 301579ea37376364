// Unit test rig: a server directory on a manual clock, synced from a configuration with one
// HTTP listener and the one pool `p`, with the event log's lines collected.
import { ManualClock } from '@tandem/testkit';
import { validateConfig } from '../src/config.js';
import { EventLog } from '../src/log.js';
import { ServerDirectory } from '../src/server-directory.js';

/** `pool` is pool p's configuration (servers, health, passive, ...). */
export function poolRig(pool: Record<string, unknown>) {
  const clock = new ManualClock();
  const lines: string[] = [];
  const log = new EventLog(clock, (line) => lines.push(line));
  const directory = new ServerDirectory(log);
  const config = validateConfig({
    listeners: [{ name: 'web', protocol: 'http', port: 0, defaultPool: 'p' }],
    pools: { p: pool },
  });
  const servers = directory.sync(config);
  return { clock, lines, log, directory, config, servers };
}
