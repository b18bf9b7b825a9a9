#!/usr/bin/env bash
# Puts astronaut.png (NASA's public-domain portrait of Eileen Collins, shipped by Debian's
# python3-skimage as skimage/data/astronaut.png) into node_modules/.cache/fluo-media for
# the filter tests' face scenes (test/helpers/astronaut.ts). The package is downloaded,
# not installed: only that one picture is wanted. Tests run without a network, so
# install.sh runs this beforehand; the helper runs it too when the picture is missing.
#   bash scripts/fetch-test-media.sh [DIR]   (DIR defaults to node_modules/.cache/fluo-media)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-node_modules/.cache/fluo-media}"
out="$dir/astronaut.png"
[ -s "$out" ] && exit 0
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# apt-get download drops privileges to _apt, which must be able to write the folder.
chmod 777 "$tmp"
( cd "$tmp" && { apt-get download -qq python3-skimage 2>/dev/null || { apt-get update -qq && apt-get download -qq python3-skimage; }; } )
deb="$(ls "$tmp"/python3-skimage_*.deb)"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/python3/dist-packages/skimage/data/astronaut.png > "$tmp/astronaut.png"
mv "$tmp/astronaut.png" "$out"
echo "fetch-test-media: $out"
