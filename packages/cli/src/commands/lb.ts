// `tandem lb ...`: the load balancer. `start` runs it in the foreground from lb.yaml: the
// event log goes to standard error (one event per line, with its level word), the access log
// to standard output; SIGHUP reloads the file without dropping connections; SIGINT and
// SIGTERM stop it gracefully. `check` validates a file and says what it describes.
import type { Command } from 'commander';
import { loadConfigFile, LoadBalancer } from '@tandem/lb';
import type { CliIo } from '../main.js';

interface StartFlags {
  readonly config: string;
  readonly graceMs: string;
}

function parseGraceMs(text: string): number {
  const graceMs = Number(text);
  if (!Number.isInteger(graceMs) || graceMs < 0)
    throw new Error(`--grace-ms must be a whole number of milliseconds, got ${text}`);
  return graceMs;
}

export function registerLbCommand(program: Command, io: CliIo): void {
  const lb = program
    .command('lb')
    .description('the load balancer: HTTP/TCP proxy with balancing, persistence and failover (lb.yaml)');

  lb.command('start')
    .description('run the load balancer in the foreground (SIGHUP reloads lb.yaml; SIGINT/SIGTERM stop it)')
    .requiredOption('-c, --config <file>', 'the configuration file (lb.yaml)')
    .option('--grace-ms <ms>', 'how long stopping lets requests in flight finish', '10000')
    .action(async (flags: StartFlags) => {
      const graceMs = parseGraceMs(flags.graceMs);
      const config = await loadConfigFile(flags.config);
      const balancer = await LoadBalancer.start(config, {
        graceMs,
        logSink: (line) => io.err(`${line}\n`),
        accessLogSink: (line) => io.out(`${line}\n`),
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        // One reload at a time, in the order the signals came: two at once would race to bind new listeners.
        let reloads = Promise.resolve();
        const onReload = (): void => {
          if (stopping) {
            // Without a handler SIGHUP would end the process and cut the drain short.
            balancer.log.notice('SIGHUP while stopping: ignored');
            return;
          }
          // A bad file is logged here; reload() logs its own refusal (once). Either way the old configuration keeps serving.
          reloads = reloads.then(async () => {
            let next: Awaited<ReturnType<typeof loadConfigFile>>;
            try {
              next = await loadConfigFile(flags.config);
            } catch (error) {
              balancer.log.error(
                `reload of ${flags.config} refused: ${error instanceof Error ? error.message : String(error)}`,
              );
              return;
            }
            if (!stopping) await balancer.reload(next).catch(() => undefined);
          });
        };
        const onStop = (): void => {
          if (stopping) return;
          stopping = true;
          balancer.stop().then(resolve, (error: unknown) => {
            balancer.log.error(`stop failed: ${error instanceof Error ? error.message : String(error)}`);
            resolve();
          });
        };
        process.on('SIGHUP', onReload);
        process.once('SIGINT', onStop);
        process.once('SIGTERM', onStop);
      });
    });

  lb.command('check')
    .description('validate a configuration file; errors name the field')
    .requiredOption('-c, --config <file>', 'the configuration file (lb.yaml)')
    .action(async (flags: { config: string }) => {
      const config = await loadConfigFile(flags.config);
      const pools = Object.entries(config.pools);
      const servers = pools.reduce((sum, [, pool]) => sum + pool.servers.length, 0);
      io.out(
        `${flags.config}: valid: ${config.listeners.length} listener(s), ${pools.length} pool(s), ${servers} server(s)\n`,
      );
      for (const listener of config.listeners) {
        const target =
          listener.protocol === 'http'
            ? `default pool ${listener.defaultPool}, ${listener.rules.length} rule(s)`
            : `pool ${listener.pool}`;
        io.out(`  ${listener.name}: ${listener.protocol} ${listener.host}:${listener.port} -> ${target}\n`);
      }
      for (const [name, pool] of pools) {
        const persistence = pool.persistence.kinds.length === 0 ? 'none' : pool.persistence.kinds.join(', ');
        io.out(
          `  pool ${name}: ${pool.algorithm}, persistence ${persistence}, ${pool.servers.map((server) => `${server.id}=${server.host}:${server.port}`).join(' ')}\n`,
        );
      }
    });
}
