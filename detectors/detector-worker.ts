/**
 * The detector process (a child of the hub, over IPC): owns the model and its runtime
 * (onnxruntime or TF.js), answers detect requests one at a time. A bad frame is answered with
 * HUB_ERR_BAD_FRAME and the process carries on; when the hub goes away, so does it.
 */
import { describeError, HubError } from '../hub/api/errors.js';
import { validateFrame } from './frame-format.js';
import { ModelRuntime } from './model-runtime.js';
import type { FromDetector, ToDetector } from './worker-protocol.js';

if (!process.send) throw new Error('detector-worker must run as a child process with an IPC channel');
// The hub stopped or died (even by SIGKILL): the channel closes and the detector ends with it.
process.on('disconnect', () => process.exit(0));

let runtime: ModelRuntime | null = null;
let queue: Promise<void> = Promise.resolve();

function send(msg: FromDetector): void {
  if (process.connected) process.send?.(msg);
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

process.on('message', (msg: ToDetector) => {
  // Serialised: one inference at a time (TF.js on wasm is single-threaded; onnxruntime already uses every core it is given).
  queue = queue.then(() => handle(msg));
});
