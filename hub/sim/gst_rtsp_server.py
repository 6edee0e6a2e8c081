#!/usr/bin/python3
"""A GStreamer RTSP server for the hub's tests and demo (loopback only).

It re-serves RTP streams that ffmpeg sends to local UDP ports (ffmpeg loops a fixture clip with
-c copy, B-frames and all, and may add an audio track), so the media reaches clients exactly as a
camera would send it. The SDP ffmpeg wrote for those RTP streams says what each port carries
(H.264 or H.265 video; AAC, G.711 or Opus audio). The media is shared: every client sees the
same live stream. Clients may use RTP over TCP (interleaved) or UDP, with basic or digest auth.

Like a real camera, the RTCP sender reports map RTP time to the camera's wall clock (NTP), and
that clock may be set off the real time by CLOCK_OFFSET_MS (a camera whose clock drifts).

usage: gst_rtsp_server.py PORT MOUNT SDP_FILE CLOCK_OFFSET_MS [basic|digest USER PASSWORD]
Prints "READY <port>" once it listens.
"""
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, GObject, Gst, GstRtsp, GstRtspServer, GstSdp  # noqa: E402

# encoding-name -> (depayloader ! parser, payloader)
CHAINS = {
    "H264": ("rtph264depay ! h264parse config-interval=-1", "rtph264pay config-interval=-1"),
    "H265": ("rtph265depay ! h265parse config-interval=-1", "rtph265pay config-interval=-1"),
    "PCMU": ("rtppcmudepay", "rtppcmupay"),
    "PCMA": ("rtppcmadepay", "rtppcmapay"),
    "OPUS": ("rtpopusdepay", "rtpopuspay"),
    "MPEG4-GENERIC": ("rtpmp4gdepay ! aacparse", "rtpmp4gpay"),
}

STATIC = {0: ("PCMU", 8000), 8: ("PCMA", 8000)}


def launch_line(sdp_text: str) -> tuple[str, list]:
    ok, msg = GstSdp.SDPMessage.new_from_text(sdp_text)
    if ok != GstSdp.SDPResult.OK:
        raise SystemExit("unreadable SDP")
    parts = []
    all_caps = []
    for i in range(msg.medias_len()):
        media = msg.get_media(i)
        fmt = int(media.get_format(0))
        if fmt in STATIC:
            # Static payload types (G.711) have no rtpmap line in the SDP.
            name, rate = STATIC[fmt]
            caps = Gst.Caps.from_string(
                f"application/x-rtp,media=audio,payload={fmt},clock-rate={rate},encoding-name={name}"
            )
        else:
            text = media.get_caps_from_media(fmt).to_string().replace("application/x-unknown", "application/x-rtp", 1)
            caps = Gst.Caps.from_string(text)
            name = caps.get_structure(0).get_string("encoding-name").upper()
        if name not in CHAINS:
            raise SystemExit(f"the sim cannot serve {name}")
        depay, pay = CHAINS[name]
        port = media.get_port()
        all_caps.append(caps)
        # The caps (with the SDP's fmtp) are set on the source once the media is built.
        parts.append(f"udpsrc name=src{i} address=127.0.0.1 port={port} buffer-size=8388608 "
            # The jitter buffer turns RTP timestamps back into buffer times (B-frame order kept).
            f"! rtpjitterbuffer latency=0 ! {depay} ! {pay} name=pay{i} pt={fmt}"
        )
    return "( " + " ".join(parts) + " )", all_caps


def camera_clock(offset_ms: int) -> Gst.Clock:
    """The camera's wall clock: real time plus its drift, counted from the NTP epoch (1900)."""
    clock = GObject.new(Gst.SystemClock, clock_type=Gst.ClockType.REALTIME)
    ntp_epoch = 2208988800 * Gst.SECOND
    clock.set_calibration(0, ntp_epoch + offset_ms * Gst.MSECOND, 1, 1)
    return clock


def main() -> int:
    if len(sys.argv) not in (5, 8):
        print(__doc__, file=sys.stderr)
        return 2
    port, mount, sdp_file, offset_ms = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    Gst.init(None)
    with open(sdp_file, encoding="utf-8") as f:
        line, all_caps = launch_line(f.read())
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(line)
    factory.set_shared(True)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP)
    clock = camera_clock(offset_ms)
    factory.set_clock(clock)

    def on_configure(_factory, media):
        element = media.get_element()
        for i, caps in enumerate(all_caps):
            element.get_by_name(f"src{i}").set_property("caps", caps)

        def on_prepared(m):
            # Sender reports carry the pipeline clock: the camera's (offset) wall clock, NTP based.
            pipeline = m.get_element().get_parent()
            it = pipeline.iterate_recurse() if pipeline else None
            while it is not None:
                res, el = it.next()
                if res != Gst.IteratorResult.OK:
                    break
                if el.get_factory() and el.get_factory().get_name() == "rtpbin":
                    print("rtpbin", el.get_property("ntp-time-source"), el.get_property("use-pipeline-clock"), el.get_property("rtcp-sync-send-time"), file=sys.stderr)
                    el.set_property("ntp-time-source", 3)  # clock-time
                    el.set_property("rtcp-sync-send-time", False)

        media.connect("prepared", on_prepared)

    factory.connect("media-configure", on_configure)
    if len(sys.argv) == 8:
        method, user, password = sys.argv[5], sys.argv[6], sys.argv[7]
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        if method == "digest":
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(user, password, token)
        else:
            # Basic auth like a camera with a password: a wrong one gets 401.
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_role("user")
        permissions.add_permission_for_role("user", "media.factory.access", True)
        permissions.add_permission_for_role("user", "media.factory.construct", True)
        factory.set_permissions(permissions)
    server.get_mount_points().add_factory(mount, factory)
    # One line per RTSP connection, so a test can tell which stream a client opened.
    server.connect("client-connected", lambda _server, _client: print("CLIENT", flush=True))
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
