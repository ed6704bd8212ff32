#!/usr/bin/python3
"""A tiny independent RTSP camera: GStreamer's RTSP server (libgstrtspserver).

Needs Debian's /usr/bin/python3 (it has gi) and these Debian packages:
  python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  gstreamer1.0-libav gstreamer1.0-x
(x264enc is in -ugly, x265enc in -bad, clockoverlay in gstreamer1.0-x, the
RTP payloaders in -good.)

Usage:
  /usr/bin/python3 tests/peers/gst_rtsp_server.py [--port 0] [--codec h264|h265]
      [--size 320x240] [--fps 10] [--path /test] [--user U --password P]
      [--protocols tcp|udp|both] [--no-sprop] [--bitrate KBPS] [--address 127.0.0.1]
      [--audio aac|pcma|pcmu]
      [--sub-path /sub --sub-size 160x120]

Prints one line "READY rtsp://ADDRESS:PORT/PATH" on stdout once it listens
(PORT is the bound port, also when --port 0 chose a free one). Exits 2 with a
message on stderr when it cannot listen (port taken). Stops cleanly on SIGTERM
or SIGINT, and when stdin is a pipe that its parent closes.

The media is shared: several clients can watch the same stream at once.
--audio adds an audio track (a tick every second, audiotestsrc wave=ticks):
AAC (avenc_aac, RFC 3640 mpeg4-generic, 16 kHz) or G.711 (8 kHz).
--sub-path: a second mount point, a camera's sub stream, encoded separately
at --sub-size (same pattern, fps and clock).
--no-sprop: the SDP has no sprop-parameter-sets (H.264) / sprop-vps/sps/pps
(H.265); the parameter sets are only in-band (the payloader repeats them before
every IDR frame, config-interval=-1, which is also the case without --no-sprop).
"""

import argparse
import os
import signal
import stat
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer, GstSdp  # noqa: E402

SPROP_KEYS = ("sprop-parameter-sets", "sprop-vps", "sprop-sps", "sprop-pps")


def strip_sprop(fmtp_value):
    """'96 a=1;sprop-parameter-sets=x;b=2' -> '96 a=1;b=2'."""
    fmt, _, params = fmtp_value.partition(" ")
    kept = [p for p in params.split(";")
            if p.strip() and p.strip().split("=", 1)[0].strip() not in SPROP_KEYS]
    return fmt + " " + ";".join(kept) if kept else fmt


def no_sprop_media_type():
    """A media class whose SDP lacks the parameter sets (they stay in-band).

    Defined after Gst.init(): registering a GstRTSPMedia subclass earlier
    breaks its signals (GstMessage is not a known type yet)."""

    class NoSpropMedia(GstRtspServer.RTSPMedia):
        def do_setup_sdp(self, sdp, info):
            if not GstRtspServer.RTSPMedia.do_setup_sdp(self, sdp, info):
                return False
            for i in range(sdp.medias_len()):
                media = sdp.get_media(i)
                for j in reversed(range(media.attributes_len())):
                    attr = media.get_attribute(j)
                    if attr.key != "fmtp":
                        continue
                    value = strip_sprop(attr.value)
                    if " " not in value:  # nothing left: drop a=fmtp
                        media.remove_attribute(j)
                        continue
                    new = GstSdp.SDPAttribute()
                    new.set("fmtp", value)
                    media.replace_attribute(j, new)
            return True

    return NoSpropMedia


def build_launch(args, width, height):
    fps = args.fps
    gop = max(1, fps * args.gop_seconds)
    src = (f"videotestsrc is-live=true pattern={args.pattern} ! "
           f"video/x-raw,format=I420,width={width},height={height},framerate={fps}/1 ! "
           f"clockoverlay halignment=left valignment=top ! "
           f"timeoverlay halignment=right valignment=bottom ! "
           f"videoconvert ! video/x-raw,format=I420 ! queue max-size-buffers=4 leaky=downstream ! ")
    if args.codec == "h264":
        enc = (f"x264enc tune=zerolatency speed-preset=ultrafast bitrate={args.bitrate} "
               f"key-int-max={gop} threads=1 ! video/x-h264,profile=constrained-baseline ! "
               f"rtph264pay name=pay0 pt=96 config-interval=-1")
    else:
        enc = (f"x265enc tune=zerolatency speed-preset=ultrafast bitrate={args.bitrate} "
               f"key-int-max={gop} option-string=\"pools=1:frame-threads=1\" ! "
               f"video/x-h265,profile=main ! "
               f"rtph265pay name=pay0 pt=96 config-interval=-1")
    audio = ""
    if args.audio == "aac":
        audio = (" audiotestsrc is-live=true wave=ticks ! audio/x-raw,rate=16000,channels=1 ! "
                 "audioconvert ! avenc_aac ! rtpmp4gpay name=pay1 pt=97")
    elif args.audio in ("pcma", "pcmu"):
        encoder, payloader = ("alawenc", "rtppcmapay") if args.audio == "pcma" else ("mulawenc", "rtppcmupay")
        audio = (f" audiotestsrc is-live=true wave=ticks ! audio/x-raw,rate=8000,channels=1 ! "
                 f"audioconvert ! {encoder} ! {payloader} name=pay1")
    return "( " + src + enc + audio + " )"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0, help="0 = a free port (printed)")
    ap.add_argument("--address", default="127.0.0.1")
    ap.add_argument("--codec", choices=("h264", "h265"), default="h264")
    ap.add_argument("--size", default="320x240", help="WxH")
    ap.add_argument("--fps", type=int, default=10)
    ap.add_argument("--bitrate", type=int, default=300, help="kbit/s")
    ap.add_argument("--gop-seconds", type=int, default=1, help="keyframe interval")
    ap.add_argument("--pattern", default="ball", help="videotestsrc pattern")
    ap.add_argument("--path", default="/test")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--protocols", choices=("tcp", "udp", "both"), default="both")
    ap.add_argument("--audio", choices=("aac", "pcma", "pcmu"), help="add an audio track")
    ap.add_argument("--no-sprop", action="store_true",
                    help="SDP without parameter sets (in-band only)")
    ap.add_argument("--sub-path", help="a second mount point: the sub stream")
    ap.add_argument("--sub-size", default="160x120", help="the sub stream's WxH")
    args = ap.parse_args()

    try:
        width, height = (int(x) for x in args.size.lower().split("x"))
        sub_width, sub_height = (int(x) for x in args.sub_size.lower().split("x"))
    except ValueError:
        ap.error("--size and --sub-size must be WxH")
    if (args.user is None) != (args.password is None):
        ap.error("--user and --password go together")
    path = args.path if args.path.startswith("/") else "/" + args.path

    Gst.init(None)
    loop = GLib.MainLoop()
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))

    lower = {"tcp": GstRtsp.RTSPLowerTrans.TCP,
             "udp": GstRtsp.RTSPLowerTrans.UDP,
             "both": GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP}

    def make_factory(w, h):
        f = GstRtspServer.RTSPMediaFactory()
        f.set_launch(build_launch(args, w, h))
        f.set_shared(True)
        if args.no_sprop:
            f.set_media_gtype(no_sprop_media_type())
        f.set_protocols(lower[args.protocols])
        return f

    factory = make_factory(width, height)
    factories = [(path, factory)]
    if args.sub_path:
        sub_path = args.sub_path if args.sub_path.startswith("/") else "/" + args.sub_path
        factories.append((sub_path, make_factory(sub_width, sub_height)))

    if args.user is not None:
        auth = GstRtspServer.RTSPAuth()
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        token = GstRtspServer.RTSPToken()
        # set_string: writable_structure() hands Python a copy.
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        auth.add_digest(args.user, args.password, token)
        server.set_auth(auth)
        for _, f in factories:
            f.add_role_from_structure(Gst.Structure.new_from_string(
                "user, media.factory.access=(boolean)true, "
                "media.factory.construct=(boolean)true"))

    for p, f in factories:
        server.get_mount_points().add_factory(p, f)

    if server.attach(None) == 0:
        print(f"gst_rtsp_server: cannot listen on {args.address}:{args.port} "
              "(port taken?)", file=sys.stderr, flush=True)
        sys.exit(2)

    def stop(*_):
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, stop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, stop)

    # When the parent holds our stdin as a pipe, its closing means "go away".
    try:
        if stat.S_ISFIFO(os.fstat(0).st_mode):
            def on_stdin(fd, cond):
                if cond & (GLib.IO_HUP | GLib.IO_ERR):
                    return stop()
                try:
                    if not os.read(fd, 4096):
                        return stop()
                except OSError:
                    return stop()
                return GLib.SOURCE_CONTINUE
            GLib.unix_fd_add_full(GLib.PRIORITY_DEFAULT, 0,
                                  GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin)
    except OSError:
        pass

    host = args.address if ":" not in args.address else f"[{args.address}]"
    print(f"READY rtsp://{host}:{server.get_bound_port()}{path}", flush=True)
    loop.run()
    # Tear the served media down before exiting.
    for p, _ in factories:
        server.get_mount_points().remove_factory(p)
    sys.exit(0)


if __name__ == "__main__":
    main()
