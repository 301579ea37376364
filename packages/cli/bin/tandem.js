#!/usr/bin/env node
// The installed `tandem` command: runs the compiled CLI (built by `npm install` through
// the root package's `prepare` script, or by `npm run build`).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv);
