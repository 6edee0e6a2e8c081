/**
 * The npm rtsp-streaming-server in its own process (it has no stop(), and tests kill the server
 * mid-stream). ffmpeg publishes to the publish port with ANNOUNCE/RECORD; clients read from the
 * client port over UDP only (this server answers 461 to RTP over TCP).
 *
 * usage: node js_rtsp_server.cjs PUBLISH_PORT CLIENT_PORT RTP_START RTP_COUNT [USER PASSWORD]
 * Prints "READY" once both ports listen.
 */
const RtspServer = require('rtsp-streaming-server').default;

const [publishPort, clientPort, rtpStart, rtpCount, user, password] = process.argv.slice(2);
const clientServerHooks = {};
if (user !== undefined) {
  // A camera with a password: a wrong one gets 401 Unauthorized.
  clientServerHooks.authentication = async (u, p) => u === user && p === password;
}
const server = new RtspServer({
  serverPort: Number(publishPort),
  clientPort: Number(clientPort),
  rtpPortStart: Number(rtpStart),
  rtpPortCount: Number(rtpCount),
  clientServerHooks,
});
server.start().then(
  () => process.stdout.write('READY\n'),
  (err) => {
    process.stderr.write(`rtsp-streaming-server failed to start: ${err?.message}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => process.exit(0));
