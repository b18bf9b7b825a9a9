#!/usr/bin/env bash
# Installs everything Fluo needs on Debian 12 (as root, Node 20 present) and starts the
# server on its defaults. Idempotent: only missing Debian packages are installed.
#   bash install.sh             install, then `npm start`
#   bash install.sh --no-start  install only (CI)
set -euo pipefail
cd "$(dirname "$0")"

start=1
for a in "$@"; do
  case "$a" in
    --no-start) start=0 ;;
    *) echo "usage: bash install.sh [--no-start]" >&2; exit 2 ;;
  esac
done

# GStreamer and ffmpeg (media engine and test peers), Chromium (browser tests and
# tutorials), Firefox ESR (the tutorials' Firefox tests, test/examples/firefox.test.ts),
# coturn (TURN tests), openssl (test certificates), iproute2/util-linux (private network
# namespaces for media tests), g++/make/python3 (node-gyp, for the native fast path).
# The engine (src/engine) drives GStreamer through node-gtk: the gir1.2-* typelibs at run
# time, libgirepository1.0-dev/libcairo2-dev/pkg-config for node-gtk's native build
# (../shared/reference/engine-host-notes.md, "Install"); gstreamer1.0-opencv/opencv-data
# for the filters, gstreamer1.0-x for textoverlay, qrencode for the zbar test images,
# python3-gi with gir1.2-gst-rtsp-server-1.0 for the loopback RTSP server of the player test;
# tesseract-ocr/tesseract-ocr-eng for PlateDetectorFilter's OCR (offline, the CLI fetches
# nothing), imagemagick and fonts-dejavu-core to draw its test scenes (test/helpers/plateScene.ts).
# janus: the reference SFU of `npm run bench:sfu -- --vs-janus` (bench/janus), started
# only by that benchmark with its own private configuration.
PACKAGES=(
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice
  gstreamer1.0-opencv opencv-data gstreamer1.0-x
  gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 gir1.2-gst-plugins-bad-1.0
  libgirepository1.0-dev libcairo2-dev pkg-config qrencode python3-gi gir1.2-gst-rtsp-server-1.0
  ffmpeg chromium chromium-driver firefox-esr coturn openssl iproute2 util-linux ca-certificates
  g++ make python3 tesseract-ocr tesseract-ocr-eng imagemagick fonts-dejavu-core janus
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: missing Debian packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "install.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # coturn's package enables no service on its own here; tests start their own instance.
fi

# npm packages, exactly as locked. .npmrc sets ignore-scripts (kurento-client's
# postinstall script is not shipped in its package).
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi

# The filter tests' face scenes use NASA's astronaut portrait from Debian's python3-skimage
# (downloaded, not installed; only the picture is kept). Tests run without a network, so
# it is fetched now, after `npm ci` (which empties node_modules, the cache's home).
bash scripts/fetch-test-media.sh

# The native fast path for forwarded media (native/fastpath.c: SRTP with keys set once,
# sends straight onto the UDP socket), built with npm's node-gyp against this Node's own
# headers (include/node beside its binary), so nothing is downloaded. Fluo runs without
# it (FLUO_NATIVE=0 does the same), only slower; the test suite checks it was built.
node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
if [ -f "$node_prefix/include/node/node_api.h" ]; then
  npm run --silent build:native -- --nodedir="$node_prefix"
else
  npm run --silent build:native
fi

# node-gtk (the engine's GStreamer binding) is a native addon that .npmrc's
# ignore-scripts kept `npm ci` from building. node-pre-gyp would first try to download a
# prebuilt binary (none exists for Node 20, and nothing may be downloaded): build from
# source against this Node's headers, two jobs (70-90 s on 2 cores). Skipped when the
# binding already loads.
if ! node -e "require('node-gtk')" >/dev/null 2>&1; then
  echo "install.sh: building node-gtk (about 90 s)"
  if [ -f "$node_prefix/include/node/node_api.h" ]; then export npm_config_nodedir="$node_prefix"; fi
  npm_config_build_from_source=true JOBS=2 npm rebuild node-gtk --ignore-scripts=false --loglevel=error >/dev/null
  node -e "require('node-gtk').require('Gst', '1.0').init(null)"
fi

if [ "$start" -eq 1 ]; then exec npm start; fi
