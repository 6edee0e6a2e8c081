import type { FootageSealer } from '../api/plugin.js';
import { sealBytes } from './age-file.js';

/** A FootageSealer that seals to whoever `recipients()` names at the moment of writing. */
export function recipientSealer(recipients: () => Promise<string[]> | string[]): FootageSealer {
  return {
    seal: async (data, path) => {
      const dest = `${path}.age`;
      const to = await recipients();
      const r = await sealBytes(Buffer.from(data.buffer, data.byteOffset, data.byteLength), dest, to, 0o440, true);
      return { path: dest, sha256: r.sha256, size: r.plainSize };
    },
  };
}
