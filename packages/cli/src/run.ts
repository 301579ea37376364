// The program the `tandem` command runs (bin/tandem.js loads its bundle, dist/bundle/tandem.js).
import { main } from './main.js';

process.exitCode = await main(process.argv);
