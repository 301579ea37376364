// The program the `tandem` command runs (bin/tandem.js loads its bundle, dist/bundle/tandem.js).
import { main } from './main.js';

// A reader that goes away (`tandem ... | head`) is no error of the command's: stop quietly,
// as other command-line tools do, instead of dying on an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await main(process.argv);
