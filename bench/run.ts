/**
 * `npm run bench`: runs every benchmark in bench/ and prints its figures. Benchmarks measure;
 * tests never assert wall-clock limits. Pass names to run a subset: `npm run bench -- camera`.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts')).sort();
let failed = 0;
for (const f of files) {
  const name = f.replace(/\.bench\.ts$/, '');
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`\n## ${name}\n`);
  const started = Date.now();
  try {
    const mod = (await import(`./${f}`)) as { run(): Promise<void> };
    await mod.run();
    process.stdout.write(`(${name} took ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  } catch (err) {
    failed++;
    process.stdout.write(`${name} FAILED: ${(err as Error).stack ?? String(err)}\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
