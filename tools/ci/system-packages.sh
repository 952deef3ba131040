#!/usr/bin/env bash
# Debian packages the test suite needs beyond Java/Maven/PostgreSQL: Chromium for the storefront
# browser test and Redis for the gateway's scale-out tests. Installs only what is missing.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "[ci] missing system packages: ${missing[*]} (install them with apt-get as root)" >&2
  exit 1
fi
echo "[ci] installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
