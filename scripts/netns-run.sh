#!/bin/sh
# Runs a command inside a private network namespace in which only `lo` is up, so WebRTC
# media in tests can never leave the machine (webrtc-probe-notes §7). Needs root (or
# unprivileged user namespaces: then `unshare -rn`). Inside, werift gathers 127.0.0.1
# only when told to (additionalHostAddresses) and wrtc uses loopback as it is.
#   usage: scripts/netns-run.sh node --import tsx --test test/transport/*.test.ts
set -eu
if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi
if [ "${FLUO_IN_NETNS:-}" = 1 ]; then
  exec "$@"                       # already inside one
fi
flags=-n
[ "$(id -u)" -eq 0 ] || flags=-rn # user namespace + network namespace
# IPv6 off: the namespace has no IPv6 route, and candidates for it only slow ICE.
FLUO_IN_NETNS=1 exec unshare "$flags" sh -c '
  ip link set lo up
  sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
  exec "$0" "$@"' "$@"
