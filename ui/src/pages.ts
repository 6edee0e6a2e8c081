/** Which pages each role has. The client-side guard uses this; the hub enforces roles anyway. */
import type { FunctionComponent } from 'preact';
import type { Role } from '../../hub/api/roles.js';
import { AdvocateLogs } from './pages/advocate/logs.js';
import { ArcSettings } from './pages/installer/arc.js';
import { CameraSetup } from './pages/installer/cameras.js';
import { CertificatePage } from './pages/installer/certificate.js';
import { Handover } from './pages/installer/handover.js';
import { SensorSetup } from './pages/installer/sensors.js';
import { WalkTest } from './pages/installer/walk-test.js';
import { ConsentPage } from './pages/owner/consent.js';
import { DoorbellPage } from './pages/owner/doorbell.js';
import { HomePage } from './pages/owner/home.js';
import { IncidentLogsPage } from './pages/owner/incident-logs.js';
import { MorePage } from './pages/owner/more.js';
import { RequestsInbox } from './pages/owner/requests.js';
import { SecurityPage } from './pages/owner/security.js';
import { SettingsPage } from './pages/owner/settings.js';
import { TimelinePage } from './pages/owner/timeline.js';
import { PoliceNewRequest } from './pages/police/new-request.js';
import { PoliceRequests } from './pages/police/requests.js';

export interface PageDef {
  path: string;
  label: string;
  component: FunctionComponent;
  /** In the owner's bottom navigation (at most five, so it fits a 360 px screen); the rest are under "More". */
  bottom?: boolean;
}

export const PAGES: Record<Role, PageDef[]> = {
  owner: [
    { path: '/home', label: 'Home', component: HomePage, bottom: true },
    { path: '/doorbell', label: 'Doorbell', component: DoorbellPage, bottom: true },
    { path: '/timeline', label: 'Timeline', component: TimelinePage, bottom: true },
    { path: '/more', label: 'More', component: MorePage, bottom: true },
    { path: '/requests', label: 'Police requests', component: RequestsInbox },
    { path: '/incident-logs', label: 'Incident logs', component: IncidentLogsPage },
    { path: '/consent', label: 'What police are told', component: ConsentPage },
    { path: '/settings', label: 'Settings', component: SettingsPage },
    { path: '/security', label: 'Account and security', component: SecurityPage },
  ],
  installer: [
    { path: '/install/cameras', label: 'Cameras', component: CameraSetup },
    { path: '/install/sensors', label: 'Sensors', component: SensorSetup },
    { path: '/install/walk-test', label: 'Walk test', component: WalkTest },
    { path: '/install/arc', label: 'Alarm centre', component: ArcSettings },
    { path: '/install/certificate', label: 'Phone certificate', component: CertificatePage },
    { path: '/install/handover', label: 'Handover', component: Handover },
  ],
  police: [
    { path: '/police/requests', label: 'My requests', component: PoliceRequests },
    { path: '/police/new', label: 'New request', component: PoliceNewRequest },
  ],
  advocate: [{ path: '/advocate/logs', label: 'Shared incident logs', component: AdvocateLogs }],
};

export function homePath(role: Role): string {
  return PAGES[role][0]?.path ?? '/';
}

/** A page of some other role: the guard refuses it instead of silently redirecting. */
export function isOtherRolesPage(role: Role, path: string): boolean {
  return (Object.keys(PAGES) as Role[]).some((r) => r !== role && PAGES[r].some((p) => p.path === path));
}
