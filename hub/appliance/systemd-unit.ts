/**
 * The systemd unit, sysusers.d and tmpfiles.d entries that make the hub an appliance: started at
 * boot, restarted when it exits or hangs (Type=notify with a watchdog the hub feeds only while its
 * critical loops make progress), logging to journald, as a dedicated user that can write nothing
 * outside its data folder.
 *
 * Why sysusers.d/tmpfiles.d rather than `useradd` and `mkdir`: they are systemd's own declarative
 * way to make a system user and a folder, they work with `--root` (so an image can be prepared
 * without booting it) and `uninstall` only has to remove files.
 */

export interface UnitOptions {
  /** Absolute path of the node binary. */
  nodePath: string;
  /** Folder holding the release to run (`<installDir>/current` after `sanctuary update`). */
  appDir: string;
  dataDir: string;
  user: string;
  /** Ports the hub listens on; a port below 1024 keeps CAP_NET_BIND_SERVICE, nothing else is kept. */
  ports: number[];
  watchdogSeconds: number;
}

export const SERVICE_NAME = 'sanctuary';

/** systemd quotes: a word with spaces or quotes goes in double quotes with \ escapes. */
function quoteArg(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

function checkPath(what: string, p: string): void {
  if (!p.startsWith('/')) throw new Error(`${what} must be an absolute path (got "${p}")`);
  if (/[\n\r]/.test(p)) throw new Error(`${what} must not contain a line break`);
}

export function renderUnit(o: UnitOptions): string {
  checkPath('node path', o.nodePath);
  checkPath('app folder', o.appDir);
  checkPath('data folder', o.dataDir);
  if (!/^[a-z_][a-z0-9_-]{0,30}$/.test(o.user)) throw new Error(`"${o.user}" is not a valid system user name`);
  if (!Number.isInteger(o.watchdogSeconds) || o.watchdogSeconds < 5) throw new Error('the watchdog needs at least 5 seconds');
  const privileged = o.ports.some((p) => p > 0 && p < 1024);
  const caps = privileged ? 'CAP_NET_BIND_SERVICE' : '';
  const listen = [...new Set(o.ports.filter((p) => Number.isInteger(p) && p > 0 && p <= 65535))].sort((a, b) => a - b);
  const binds = listen.map((p) => `SocketBindAllow=tcp:${p}`).join('\n');
  const exec = [o.nodePath, `${o.appDir}/bin/sanctuary.mjs`, 'start', '--data-dir', o.dataDir].map(quoteArg).join(' ');
  return `# Written by \`sanctuary install-service\`; \`sanctuary uninstall-service\` removes it.
[Unit]
Description=Sanctuary home-security hub
After=network-online.target time-sync.target
Wants=network-online.target
# Restart forever: an installer may not come back for a year.
StartLimitIntervalSec=0

[Service]
Type=notify
NotifyAccess=main
WatchdogSec=${o.watchdogSeconds}
ExecStart=${exec}
WorkingDirectory=${quoteArg(o.dataDir)}
Environment=SANCTUARY_DATA_DIR=${quoteArg(o.dataDir)} NODE_ENV=production
User=${o.user}
Group=${o.user}
Restart=always
RestartSec=5
TimeoutStartSec=180
TimeoutStopSec=20
# SIGTERM to the hub (which stops its ffmpeg children itself), SIGKILL to anything left after the timeout.
KillMode=mixed
StandardOutput=journal
StandardError=journal
SyslogIdentifier=${SERVICE_NAME}
# A tmpfs for the rolling segment buffer (RAM, not the SD card); gone when the service stops.
RuntimeDirectory=${SERVICE_NAME}
RuntimeDirectoryMode=0700
# Kept across a restart (a crash keeps its pre-roll), removed when the service is stopped.
RuntimeDirectoryPreserve=restart
UMask=0077

# Hardening: the hub can write only its data folder and its runtime folder.
ProtectSystem=strict
ReadWritePaths=${quoteArg(o.dataDir)}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
CapabilityBoundingSet=${caps}
AmbientCapabilities=${caps}
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
# AF_NETLINK: the hub lists its own addresses for its certificate.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
# Only the ports it needs: TCP listeners on the hub's own ports; UDP in ffmpeg's RTP port range
# (RTSP over UDP binds explicit ports there). Binding port 0 (the RTSP credential relay, outgoing
# sockets) matches no rule with a port, so it stays allowed.
${binds}
SocketBindAllow=udp:5000-65000
SocketBindDeny=any
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
# Not set: MemoryDenyWriteExecute (Node's JIT needs writable code pages).

[Install]
WantedBy=multi-user.target
`;
}

export function renderSysusers(user: string, dataDir: string): string {
  return `# Written by \`sanctuary install-service\`.\nu ${user} - "Sanctuary hub" ${dataDir} /usr/sbin/nologin\n`;
}

export function renderTmpfiles(user: string, dataDir: string): string {
  return `# Written by \`sanctuary install-service\`.\nd ${dataDir} 0700 ${user} ${user} -\n`;
}

export const UNIT_PATH = `etc/systemd/system/${SERVICE_NAME}.service`;
export const SYSUSERS_PATH = `etc/sysusers.d/${SERVICE_NAME}.conf`;
export const TMPFILES_PATH = `etc/tmpfiles.d/${SERVICE_NAME}.conf`;
