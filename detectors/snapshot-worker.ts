/** Snapshot worker thread: JPEG encoding in pure JS takes ~80 ms a frame, too long for the main thread. */
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
    const jpeg = encodeSnapshot(msg.frame, msg.boxes, msg.quality);
    reply = { type: 'encoded', id: msg.id, jpeg };
    if (jpeg.buffer instanceof ArrayBuffer) transfer.push(jpeg.buffer);
  } catch (err) {
    reply = { type: 'error', id: msg.id, code: err instanceof HubError ? err.code : 'HUB_ERR_DETECTOR', message: describeError(err) };
  }
  port.postMessage(reply, transfer);
});
