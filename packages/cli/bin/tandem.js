#!/usr/bin/env node
// The installed `tandem` command: runs the bundled CLI (dist/bundle/tandem.js, built from
// dist/run.js by `npm install` through the root package's `prepare` script, or by
// `npm run build`).
import '../dist/bundle/tandem.js';
