/**
 * Start one of our worker threads. The production hub runs the compiled .js next to this file.
 * Under vitest / tsx the sources are TypeScript: `--import tsx` in a worker's execArgv does not
 * hook the worker's own entry on Node 20, so a tiny bootstrap registers tsx first, then imports
 * the .ts entry.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export function spawnWorker(baseName: 'detector-worker' | 'snapshot-worker'): Worker {
  const fromTs = import.meta.url.endsWith('.ts');
  const url = new URL(`./${baseName}.${fromTs ? 'ts' : 'js'}`, import.meta.url);
  if (!fromTs) return new Worker(url);
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}
