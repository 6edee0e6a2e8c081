/**
 * The hub's own modules, in start order (stopped in reverse). Each concern adds itself here.
 */
import type { HubModule } from './core.js';

export function coreModules(): HubModule[] {
  return [];
}
