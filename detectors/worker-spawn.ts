/**
 * Start one of our worker threads or processes. The production hub runs the compiled .js next to
 * this file. Under vitest / tsx the sources are TypeScript: `--import tsx` in a worker's execArgv
 * does not hook the worker's own entry on Node 20, so a tiny bootstrap registers tsx first, then
 * imports the .ts entry; a child process gets tsx's loader on its command line.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

/**
 * The detector runs in a process of its own: a native inference library that fails (onnxruntime
 * aborts its whole process if the thread it runs on is torn down mid-inference) takes only the
 * detector with it, never the hub. Frames go over the IPC channel with structured-clone
 * serialisation, so typed arrays arrive as typed arrays.
 */
export function spawnDetectorProcess(): ChildProcess {
  const fromTs = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(`./detector-worker.${fromTs ? 'ts' : 'js'}`, import.meta.url));
  const execArgv = fromTs ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href] : [];
  return fork(entry, [], { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}
