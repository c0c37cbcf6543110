#!/usr/bin/env bash
# Installs the system tools the gateway and its tests use, only when missing (Debian/apt).
set -euo pipefail
declare -A pkg_for=(
  [ffmpeg]=ffmpeg [ffprobe]=ffmpeg [socat]=socat [mosquitto]=mosquitto
  [mosquitto_pub]=mosquitto-clients [mosquitto_sub]=mosquitto-clients [chromium]=chromium
  [xorriso]=xorriso [isoinfo]=genisoimage [pdftotext]=poppler-utils [gcc]=gcc
)
missing=()
for tool in "${!pkg_for[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("${pkg_for[$tool]}")
done
# A CJK font, so dashboard screenshots show Chinese rather than boxes.
[ -n "$(fc-list :lang=zh 2>/dev/null)" ] || missing+=(fonts-wqy-microhei)
# A local SMTP server for the e-mail notification tests (Debian's python3, not a pyenv shim).
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
# A single-node Ceph (mon + osd + radosgw) for the S3 Object Lock archive tests; no ceph-mgr.
for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/bin/$tool" ] || { missing+=(ceph-mon ceph-osd radosgw ceph-common); break; }
done
command -v uuidgen >/dev/null 2>&1 || missing+=(uuid-runtime)
# A foreign RTSP stack for the hearing-room tests: GStreamer's RTSP server driven from Debian's python3.
/usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer", "1.0")' >/dev/null 2>&1 ||
  missing+=(python3-gi gir1.2-gst-rtsp-server-1.0 gir1.2-gstreamer-1.0 gstreamer1.0-plugins-base
    gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
    gstreamer1.0-rtsp gstreamer1.0-tools)
[ ${#missing[@]} -eq 0 ] && exit 0
pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
echo "installing system packages: $pkgs" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
