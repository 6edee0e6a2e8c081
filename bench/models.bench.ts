/**
 * Person model bake-off (`npm run bench -- models`): every detector shipped in an npm package
 * here (detectors/models.ts), on onnxruntime and on TF.js wasm, through the real worker, on the hand-labelled set
 * (test/fixtures/labels/persons.json): model time per frame (p50 / p95) and precision / recall
 * at the camera's default filters (minScore, box size) and alert threshold, overall and per group
 * (images, people clip frames, tree clip frames: any box there is a false one).
 */
import { DetectorClient } from '../detectors/detector-client.js';
import { SHIPPED_MODEL_NAMES, SHIPPED_MODELS, type ShippedModel, type ShippedModelName, shippedModelInit } from '../detectors/models.js';
import type { BackendChoice } from '../detectors/worker-protocol.js';
import { filterPersons } from '../detectors/zones.js';
import { describeError } from '../hub/api/errors.js';
import { detectSettingsSchema } from '../hub/config/devices-schema.js';
import { createLogger } from '../hub/log/logger.js';
import { addScores, labelledSet, precision, recall, type Score, scoreFrame } from '../test/detectors/labelled-set.js';
import { pct } from './figures.js';

const log = createLogger({ level: 'warn' });
const REPEATS = 3;

const pr = (s: Score) =>
  `P ${precision(s).toFixed(2)} R ${recall(s).toFixed(2)} (${s.truePositives} hit, ${s.falsePositives} false, ${s.falseNegatives} missed)`;

export async function run(): Promise<void> {
  const set = await labelledSet();
  const settings = detectSettingsSchema.parse({});
  const persons = set.reduce((n, f) => n + f.truth.length, 0);
  process.stdout.write(
    `labelled set: ${set.length} frames, ${persons} people; threshold ${settings.threshold}, minScore ${settings.minScore}\n`,
  );
  const runs: Array<{ name: ShippedModelName; backend: BackendChoice; inputSize?: number }> = [];
  for (const name of SHIPPED_MODEL_NAMES) for (const backend of ['onnxruntime', 'wasm'] as const) runs.push({ name, backend });
  // CenterNet at other sizes: onnxruntime only (its upsamples are emitted as doublings there;
  // TF.js keeps them fixed). The hub's default is the one in SHIPPED_MODELS (`onnxInputSize`).
  for (const inputSize of [448, 384]) runs.push({ name: 'centernet-512', backend: 'onnxruntime', inputSize });
  for (const { name, backend, inputSize } of runs) {
    const base = shippedModelInit(name, backend);
    const init = inputSize && base.onnx ? { ...base, onnx: { ...base.onnx, inputSize } } : base;
    const label = `${name}${inputSize ? `@${inputSize}` : ''}${inputSize && inputSize === (SHIPPED_MODELS[name] as ShippedModel).onnxInputSize ? ' (hub default)' : ''}`;
    const client = new DetectorClient({ init, log });
    try {
      const info = await client.start();
      const times: number[] = [];
      const groups = new Map<string, Score>();
      let all: Score = { truePositives: 0, falsePositives: 0, falseNegatives: 0 };
      for (let k = 0; k < REPEATS; k++) {
        for (const f of set) {
          const r = await client.detect(f.frame);
          times.push(r.inferMs);
          if (k > 0) continue;
          const kept = filterPersons(r.detections, 0, settings).filter((d) => d.score >= settings.threshold);
          const s = scoreFrame(kept, f.truth);
          all = addScores(all, s);
          groups.set(f.group, addScores(groups.get(f.group) ?? { truePositives: 0, falsePositives: 0, falseNegatives: 0 }, s));
        }
      }
      process.stdout.write(
        `${label.padEnd(22)} ${info.backend}${info.simd ? ' simd' : ''}${info.threads ? ` ${info.threads} thread${info.threads === 1 ? '' : 's'}` : ''} ${info.inputSize.join('x')}: model p50 ${pct(times, 50).toFixed(0)} ms, p95 ${pct(times, 95).toFixed(0)} ms; ${pr(all)}\n`,
      );
      for (const [g, s] of groups) process.stdout.write(`    ${g.padEnd(42)} ${pr(s)}\n`);
    } catch (err) {
      process.stdout.write(`${`${label} ${backend}`.padEnd(22)} unavailable: ${describeError(err).slice(0, 200)}\n`);
    } finally {
      await client.stop();
    }
  }
}
