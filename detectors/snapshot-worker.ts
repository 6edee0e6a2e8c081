/** Snapshot worker thread: PNG + JPEG encoding takes tens of ms a frame, too long for the main thread. */
import { parentPort } from 'node:worker_threads';
import { describeError, HubError } from '../hub/api/errors.js';
import { validateFrame } from './frame-format.js';
import { encodeSnapshot } from './snapshot-image.js';
import type { FromSnapshot, ToSnapshot } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('snapshot-worker must run as a worker thread');

port.on('message', (msg: ToSnapshot) => {
  let reply: FromSnapshot;
  const transfer: ArrayBuffer[] = [];
  try {
    validateFrame(msg.frame);
    const { original, annotated } = encodeSnapshot(msg.frame, msg.boxes, msg.quality);
    reply = { type: 'encoded', id: msg.id, original, annotated };
    for (const b of [original, annotated]) if (b?.buffer instanceof ArrayBuffer) transfer.push(b.buffer);
  } catch (err) {
    reply = { type: 'error', id: msg.id, code: err instanceof HubError ? err.code : 'HUB_ERR_DETECTOR', message: describeError(err) };
  }
  port.postMessage(reply, transfer);
});
