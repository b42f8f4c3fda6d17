#!/usr/bin/env bash
# Installs the Debian packages bench/run needs (only the missing ones). Needs root (or sudo).
set -euo pipefail

# Debian package -> the command bench/run uses from it.
declare -A NEEDS=(
  [redis-server]=redis-server
  [redis-tools]=redis-benchmark
  [haproxy]=haproxy
  [nutcracker]=nutcracker
  [openssl]=openssl
)

missing=()
for pkg in "${!NEEDS[@]}"; do
  command -v "${NEEDS[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "bench: all packages present (${!NEEDS[*]})"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "bench: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
