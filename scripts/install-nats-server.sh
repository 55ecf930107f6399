#!/usr/bin/env bash
# Installs the nats-server binaries the test suite runs against:
#   stable: Debian's nats-server package (the oldest version we support), via apt-get
#   newest: Debian sid's nats-server, fetched with apt-get download into a private
#           apt state dir and unpacked with dpkg-deb -x into .cache/nats-server-sid
# The Debian mirror is read from the machine's own apt sources; no host is written here.
# Usage: scripts/install-nats-server.sh [stable|sid|all]   (default: all)
# Prints the paths of the binaries it made available, one per line, as NAME=PATH.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache"
want=${1:-all}

log() { echo "install-nats-server: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

# The Debian mirror URI configured on this machine (deb822 or one-line format).
debian_mirror() {
  local uri=""
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' /etc/apt/sources.list.d/*.sources \
      | grep -v -- '-security' | grep -i debian | head -n 1 || true)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { print $i; exit } }' \
      /etc/apt/sources.list | grep -v -- '-security' | head -n 1 || true)
  fi
  [ -n "$uri" ] || { log "no Debian mirror found in /etc/apt sources"; return 1; }
  echo "$uri"
}

install_stable() {
  local bin
  bin=$(command -v nats-server || true)
  if [ -z "$bin" ]; then
    if ! command -v apt-get >/dev/null; then
      log "nats-server is missing and apt-get is not available."
      log "install nats-server >= 2.9 (brew install nats-server, or your package manager) and re-run"
      return 1
    fi
    log "installing Debian's nats-server with apt-get"
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nats-server >&2
    bin=$(command -v nats-server)
  fi
  echo "stable=$bin"
}

install_sid() {
  local dest="$cache/nats-server-sid"
  local bin="$dest/usr/sbin/nats-server"
  if [ -x "$bin" ]; then echo "sid=$bin"; return 0; fi
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || {
    log "apt-get and dpkg-deb are needed to fetch sid's nats-server"; return 1; }
  local mirror state
  mirror=$(debian_mirror)
  state="$cache/apt-sid"
  rm -rf "$state" && mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/etc/preferences.d"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" > "$state/etc/sources.list"
  : > "$state/status"
  local opts=(
    -o "Dir::Etc::SourceList=$state/etc/sources.list"
    -o "Dir::Etc::SourceParts=-"
    -o "Dir::Etc::Preferences=$state/etc/preferences"
    -o "Dir::Etc::PreferencesParts=$state/etc/preferences.d"
    -o "Dir::State=$state"
    -o "Dir::State::Lists=$state/lists"
    -o "Dir::State::status=$state/status"
    -o "Dir::Cache=$state"
    -o "Dir::Cache::archives=$state/archives"
    -o "APT::Sandbox::User=root"
  )
  log "fetching sid's nats-server package list"
  apt-get "${opts[@]}" update -qq >&2
  (cd "$state/archives" && apt-get "${opts[@]}" download nats-server >&2)
  local deb
  deb=$(ls "$state"/archives/nats-server_*.deb | head -n 1)
  rm -rf "$dest" && mkdir -p "$dest"
  dpkg-deb -x "$deb" "$dest"
  rm -rf "$state"
  [ -x "$bin" ] || { log "sid package did not contain usr/sbin/nats-server"; return 1; }
  echo "sid=$bin"
}

case "$want" in
  stable) install_stable ;;
  sid) install_sid ;;
  all) install_stable; install_sid ;;
  *) log "usage: $0 [stable|sid|all]"; exit 2 ;;
esac
