/**
 * The hub's own modules, in start order (stopped in reverse). Each concern adds itself here.
 */
import { AlarmModule } from './alarm/module.js';
import { AlertsModule } from './alerts/alerts-module.js';
import { ApplianceModule } from './appliance/appliance-module.js';
import { auditModule } from './audit/audit-module.js';
import { ConfirmationModule } from './confirmation/confirmation-module.js';
import { ConsentModule } from './consent/consent-module.js';
import type { HubModule } from './core.js';
import { evidenceModule } from './evidence/evidence-module.js';
import { identityModule } from './identity/identity-module.js';
import { PushModule } from './push/push-module.js';
import { RecorderModule } from './recorder/recorder-module.js';
import { HUB_VERSION } from './version.js';

export function coreModules(): HubModule[] {
  return [
    // First, so it stops last: its clean-shutdown marker goes only once everything else stopped.
    new ApplianceModule(HUB_VERSION),
    identityModule(),
    auditModule(),
    new AlarmModule(),
    new ConsentModule(),
    new ConfirmationModule(),
    new AlertsModule(),
    new PushModule(),
    new RecorderModule(),
    evidenceModule(),
  ];
}
