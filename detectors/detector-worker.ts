/**
 * The detector worker thread: owns TF.js and the model, answers detect requests one at a time.
 * A bad frame is answered with HUB_ERR_BAD_FRAME and the worker carries on.
 */
import { parentPort } from 'node:worker_threads';
import { describeError, HubError } from '../hub/api/errors.js';
import { validateFrame } from './frame-format.js';
import { ModelRuntime } from './model-runtime.js';
import type { FromDetector, ToDetector } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('detector-worker must run as a worker thread');

let runtime: ModelRuntime | null = null;
let queue: Promise<void> = Promise.resolve();

function send(msg: FromDetector, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(msg, transfer);
}

async function handle(msg: ToDetector): Promise<void> {
  if (msg.type === 'init') {
    try {
      runtime = await ModelRuntime.load(msg.init);
      send({ type: 'ready', info: runtime.info });
    } catch (err) {
      send({ type: 'init_failed', message: err instanceof HubError ? err.message : describeError(err) });
    }
    return;
  }
  try {
    validateFrame(msg.frame);
    if (!runtime) throw new HubError('HUB_ERR_DETECTOR', 'the model is not loaded yet');
    const r = await runtime.detect(msg.frame);
    send({ type: 'result', id: msg.id, detections: r.detections, inferMs: r.inferMs, prepMs: r.prepMs });
  } catch (err) {
    const code = err instanceof HubError ? err.code : 'HUB_ERR_DETECTOR';
    const reply: FromDetector = { type: 'error', id: msg.id, code, message: describeError(err) };
    if (err instanceof HubError && err.details) reply.details = err.details;
    send(reply);
  }
}

port.on('message', (msg: ToDetector) => {
  // Serialised: TF.js on wasm is single-threaded and requests must not interleave.
  queue = queue.then(() => handle(msg));
});
