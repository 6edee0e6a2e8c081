/**
 * README.txt of an evidence package: what is in it, what it leaves out and why, and one
 * command per claim with standard tools (bash, coreutils, unzip, openssl, jq, ffprobe). Every
 * line starting with "  $ " is a check that exits non-zero when its claim does not hold; the
 * package tests run exactly these lines.
 */
import { type Manifest, type ManifestFile, PROCESSING, TIME_BASIS, type WindowGap } from './package-format.js';

type ReadmeInput = Omit<Manifest, 'files'>;

const GAP_REASON: Record<WindowGap['reason'], string> = {
  'camera-offline': 'camera offline (the hub received no video)',
  retention: 'deleted by retention before the request',
  'outside-buffer': 'outside the recording buffer (not kept: continuous recording was off)',
};

const person = (p: { role: string; displayName: string; userId: string } | null) =>
  p === null ? 'not recorded' : `${p.displayName} (${p.role}, account ${p.userId})`;

function windowsText(m: ReadmeInput): string {
  if (m.windows.length === 0) return '  (no camera was requested)\n';
  return m.windows
    .map((w) => {
      const lines = [
        `  ${w.cameraName} (${w.cameraId}): ${(w.coveredMs / 1000).toFixed(1)} s of ${((w.toTs - w.fromTs) / 1000).toFixed(1)} s recorded`,
      ];
      for (const r of w.recordings) lines.push(`    recording ${r}`);
      for (const c of w.workingCopies) lines.push(`    working copy ${c} (time burned in, re-encoded: NOT the master)`);
      for (const g of w.gaps) lines.push(`    GAP ${g.from} to ${g.to}: ${GAP_REASON[g.reason]}; ${g.detail}`);
      if (w.gaps.length === 0) lines.push('    no gaps');
      return lines.join('\n');
    })
    .join('\n')
    .concat('\n');
}

/** Which recordings and clips carry the camera's sound. */
function soundText(media: ManifestFile[]): string {
  const av = media.filter((f) => f.kind === 'recording' || f.kind === 'clip');
  if (av.length === 0) return '  (no recordings or clips)\n';
  return `${av
    .map((f) => `  ${f.path}: ${f.sound === true ? 'video and sound (AAC)' : f.sound === false ? 'video only, no sound' : 'not known'}`)
    .join('\n')}\n`;
}

export function readmeText(m: ReadmeInput, media: ManifestFile[] = []): string {
  const clock = `${m.clock.state}${m.clock.offsetMs === null ? '' : `, hub minus NTP time ${m.clock.offsetMs} ms`} (${m.clock.detail})`;
  const cams = m.cameraClocks
    .map((c) => `  ${c.cameraId}: ${c.offsetMs === null ? 'unknown' : `${c.offsetMs} ms`} (${c.detail})`)
    .join('\n');
  return `SANCTUARY EVIDENCE PACKAGE (${m.format})
==========================

Crime reference: ${m.request.crimeReference}
Offence:         ${m.request.offence}
Requested by:    ${m.request.officerName} (${m.request.officerId}), ${m.request.force}
                 account ${person(m.request.requestedBy)}, at ${m.request.requestedAt}
Decision:        ${m.request.decision} by ${person(m.request.approvedBy)} at ${m.request.decidedAt ?? 'unknown'}
Time window:     ${m.request.from} to ${m.request.to} (UTC)
Home time zone:  ${m.home.timeZone} (UTC${m.home.utcOffset} when exported)
Exported:        ${m.createdAt}
Hub id:          ${m.hub.id} (the first 16 hex digits of the key fingerprint)
Hub key fingerprint (SHA-256 of the public key, DER):
  ${m.hub.fingerprint}
Hub clock:       ${clock}
Camera clocks (camera minus hub):
${cams || '  (none)'}

Times: ${TIME_BASIS}

What was done to the footage: ${PROCESSING}

Footage per camera for the requested window
-------------------------------------------
${windowsText(m)}A request whose window had not ended when it was approved waits until the window has passed,
then is exported. Gaps are listed above and in manifest.json ("windows"), each with its reason.

Sound
-----
A camera records sound only where the installer set it to and the home's owner agreed. Sound is
encoded once to AAC as it arrives (the camera's G.711 or other codec fits neither MP4 nor MPEG-TS);
the video is never re-encoded. Each recording and clip:
${soundText(media)}
What is in here
---------------
recordings/     per camera, the recorded segments covering the requested window, one MP4 per
                unbroken run (master copy: stream copied, remuxed, not re-encoded)
clips/          the event clips inside the window (master copy, as written by the hub at the time)
snapshots/      still frames from the clips; manifest.json says which moment each one shows
working-copies/ if present: MP4s with the time burned in, for viewing only; NOT the master
manifest.json   the signed statement: every other file's SHA-256 and size, the request, who
                approved it, clocks, time zone, windows and gaps, the sensor and detection
                events in the window, SmartWater kit codes. RFC 8785 canonical JSON (JCS).
manifest.sig    Ed25519 signature of the exact bytes of manifest.json by the hub's key (base64)
manifest.sig.bin  the same signature as raw bytes (for openssl)
hub-public-key.pem  the hub's public key
custody.json    the hub's hash-chained audit entries about this evidence (chain of custody)
SHA256SUMS      convenience copy of the file list in manifest.json, for sha256sum -c

How to verify
-------------
With the Sanctuary tool (Node.js 20, no hub needed):
    sanctuary verify <this-package.zip> --fingerprint <the fingerprint you got from the hub>

With standard tools: unzip into an empty folder and run each "$" line below in it with bash,
PKG set to the zip's path and EXPECTED to the fingerprint you got from the victim's hub (its
settings page or GET /api/identity). Each line exits 0 (and prints nothing or "OK"/"true")
when its claim holds, and non-zero when it does not.

1. manifest.json is signed by the key in hub-public-key.pem:
  $ openssl pkeyutl -verify -pubin -inkey hub-public-key.pem -rawin -in manifest.json -sigfile manifest.sig.bin
  $ base64 -d manifest.sig | cmp - manifest.sig.bin
2. That key is the one manifest.json names, and the hub id is that key's (a forger's key
   cannot carry this hub's id):
  $ fp=$(openssl pkey -pubin -in hub-public-key.pem -outform DER | sha256sum | cut -c1-64); jq -e --arg fp "$fp" '.hub.fingerprint == $fp and .hub.id == $fp[0:16]' manifest.json
3. The key is the victim's hub's key (EXPECTED as the hub shows it; spaces and colons ignored):
  $ jq -e --arg fp "$EXPECTED" '.hub.fingerprint == ($fp | gsub("[ :]"; "") | ascii_downcase)' manifest.json
4. Every file manifest.json lists is present with that SHA-256 and that size:
  $ jq -r '.files[] | "\\(.sha256)  \\(.path)"' manifest.json | sha256sum -c --quiet --strict
  $ jq -r '.files[] | "\\(.size) \\(.path)"' manifest.json | while read -r size path; do test "$(wc -c < "$path")" -eq "$size" || { echo "$path: size differs"; exit 1; }; done
5. The zip holds nothing else and lacks nothing (only manifest.json and its signatures are not listed):
  $ diff <(unzip -Z1 "$PKG" | grep -v '/$' | sort) <(jq -r '.files[].path, "manifest.json", "manifest.sig", "manifest.sig.bin"' manifest.json | sort)
6. SHA256SUMS is the manifest's list (so "sha256sum -c SHA256SUMS" checks the signed hashes):
  $ jq -r '.files[] | select(.path != "SHA256SUMS") | "\\(.sha256)  \\(.path)"' manifest.json | cmp - SHA256SUMS
7. Custody chain, each entry: its "hash" is the SHA-256 (hex) of the RFC 8785 canonical JSON
   (UTF-8, keys sorted recursively, no whitespace, non-ASCII text not escaped) of
   {action, actor, prevHash, seq, subject, ts}. jq -c -S writes that form for these entries
   (integers, text without control characters). In Python it is
   json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8"):
   the default json.dumps escapes "ë" as \\u00eb and adds spaces, and gives another hash.
  $ jq -c -S '.entries[] | select(.redacted != true) | {action, actor, prevHash, seq, subject, ts}' custody.json | while IFS= read -r e; do printf '%s' "$e" | sha256sum | cut -c1-64; done | cmp - <(jq -r '.entries[] | select(.redacted != true) | .hash' custody.json)
8. Custody chain, links: every entry follows the one before (seq + 1) and its "prevHash" is that
   entry's "hash" (entries about other matters are redacted to their links):
  $ jq -e '.entries as $e | [range(1; $e | length) | select($e[.].seq != $e[. - 1].seq + 1 or $e[.].prevHash != $e[. - 1].hash)] == []' custody.json
9. Custody chain, extent: it runs from and to the entries the signed manifest states, ending at
   the stated head hash (a truncated chain fails here and in check 4):
  $ jq -e --slurpfile m manifest.json '.fromSeq == $m[0].custody.fromSeq and .toSeq == $m[0].custody.toSeq and .entries[0].seq == .fromSeq and .entries[-1].seq == .toSeq and (.entries | length) == .toSeq - .fromSeq + 1 and .entries[-1].hash == $m[0].custody.headHash' custody.json
10. Every clip is the file the hub hashed when it wrote it (its "clip.saved" audit entry), and
    every recording the file the hub hashed when it made it ("export.recorded"):
  $ jq -e --slurpfile c custody.json '([.files[] | select(.kind == "clip") | .sha256] - [$c[0].entries[] | select(.action == "clip.saved") | .subject.sha256]) == []' manifest.json
  $ jq -e --slurpfile c custody.json '([.files[] | select(.kind == "recording") | .sha256] - [$c[0].entries[] | select(.action == "export.recorded") | .subject.files[].sha256]) == []' manifest.json
11. Every recording and clip is H.264 video whose MP4 creation_time is the recording's start
    (to the second, UTC):
  $ jq -r '.files[] | select(.kind == "recording" or .kind == "clip") | .path' manifest.json | while read -r path; do test "$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of default=nw=1:nk=1 "$path")" = h264 || { echo "$path: not H.264"; exit 1; }; done
  $ jq -r '.files[] | select(.kind == "recording") | "\\(.path) \\(.start[0:19])"' manifest.json | while read -r path start; do test "$(ffprobe -v error -show_entries format_tags=creation_time -of default=nw=1:nk=1 "$path" | cut -c1-19)" = "$start" || { echo "$path: creation_time differs"; exit 1; }; done

Any processed copy (re-encoded, redacted, with a burned-in timestamp) is a working copy and is
named as such (kind "working-copy" in manifest.json, under working-copies/); the files in
recordings/ and clips/ are the master copy.
`;
}
