#!/usr/bin/env node
// Entry point for `npx sanctuary` and the npm scripts. Runs the compiled hub (made by `npm ci`
// through the `prepare` script, or `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/app/main.js', import.meta.url));
if (!existsSync(compiled)) {
  process.stderr.write('sanctuary: the hub is not built yet. Run `npm ci` (or `npm run build`) first.\n');
  process.exit(2);
}
await import(compiled);
