/**
 * The hub's own modules, in start order (stopped in reverse). Each concern adds itself here.
 */
import { AlarmModule } from './alarm/module.js';
import { auditModule } from './audit/audit-module.js';
import type { HubModule } from './core.js';
import { evidenceModule } from './evidence/evidence-module.js';
import { identityModule } from './identity/identity-module.js';

export function coreModules(): HubModule[] {
  return [identityModule(), auditModule(), new AlarmModule(), evidenceModule()];
}
