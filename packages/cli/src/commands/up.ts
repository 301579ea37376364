// `tandem up`: starts the local redundant system. Each part adds itself to the plan as
// it becomes runnable; until a part can run as a server, `up` reports it as not started
// rather than pretending.
import type { Command } from 'commander';
import type { CliIo } from '../main.js';

export interface PartStatus {
  readonly name: string;
  readonly runnable: boolean;
  readonly detail: string;
}

/** What `up` would start, in start order. */
export function localSystemPlan(): PartStatus[] {
  return [
    {
      name: 'database',
      runnable: false,
      detail: 'not yet a server: @tandem/db has no network listener yet',
    },
    {
      name: 'load balancer',
      runnable: false,
      detail: 'not yet implemented (@tandem/lb)',
    },
  ];
}

export function registerUpCommand(program: Command, io: CliIo): void {
  program
    .command('up')
    .description('start the local redundant system (load balancer pair, app servers, database with standby, monitor)')
    .action(() => {
      const plan = localSystemPlan();
      const width = Math.max(...plan.map((part) => part.name.length));
      for (const part of plan) {
        io.out(`  ${part.name.padEnd(width)}  ${part.runnable ? 'starting' : 'not started'}: ${part.detail}\n`);
      }
      if (plan.every((part) => !part.runnable)) {
        io.out('[notice] tandem up: no part of the system can run yet, so nothing was started.\n');
      }
    });
}
