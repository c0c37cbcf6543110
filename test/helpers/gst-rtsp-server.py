"""A foreign RTSP stack for the hearing-room tests: GStreamer's RTSP server (gst-rtsp-server) serving
one live H.264 stream with a G.711 A-law (PCMA) or AAC (MPEG4-GENERIC) track, Digest auth only.
The password is read from stdin (never argv). Prints "ready <port>" once listening.
Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0)."""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--address", default="127.0.0.1")
p.add_argument("--port", default="0")
p.add_argument("--path", default="/stream")
p.add_argument("--user", default="admin")
p.add_argument("--audio", choices=["pcma", "aac", "none"], default="pcma")
p.add_argument("--protocols", choices=["tcp", "udp", "both"], default="both")
a = p.parse_args()
password = sys.stdin.readline().rstrip("\n")

Gst.init(None)
video = ("videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=10/1 ! "
         "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 bitrate=256 ! "
         "rtph264pay name=pay0 pt=96 config-interval=-1")
aac = "voaacenc" if Gst.ElementFactory.find("voaacenc") else "avenc_aac"
audio = {
    "pcma": "audiotestsrc is-live=true freq=440 ! audio/x-raw,rate=8000,channels=1 ! alawenc ! "
            "rtppcmapay name=pay1 pt=8",
    "aac": f"audiotestsrc is-live=true freq=440 ! audio/x-raw,rate=16000,channels=1 ! {aac} ! "
           "rtpmp4gpay name=pay1 pt=97",
    "none": "",
}[a.audio]
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(f"( {video} {audio} )")
factory.set_shared(True)
lower = GstRtsp.RTSPLowerTrans
factory.set_protocols({"tcp": lower.TCP, "udp": lower.UDP, "both": lower.TCP | lower.UDP}[a.protocols])
perms = GstRtspServer.RTSPPermissions()
perms.add_permission_for_role("user", "media.factory.access", True)
perms.add_permission_for_role("user", "media.factory.construct", True)
factory.set_permissions(perms)

auth = GstRtspServer.RTSPAuth()
auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
token = GstRtspServer.RTSPToken()
token.set_string("media.factory.role", "user")
auth.add_digest(a.user, password, token)

server = GstRtspServer.RTSPServer()
server.set_address(a.address)
server.set_service(a.port)
server.set_auth(auth)
server.get_mount_points().add_factory(a.path, factory)
server.attach(None)
print(f"ready {server.get_bound_port()}", flush=True)
GLib.MainLoop().run()
