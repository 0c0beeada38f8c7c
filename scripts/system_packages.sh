#!/usr/bin/env bash
# The Debian packages `make run` or `make test` needs: installed with apt-get when we are root
# or can sudo, otherwise one line saying exactly what to install, and a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  run) wanted=(redis-server libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core) ;;
  test) wanted=(redis-server chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils qpdf) ;;
  # `make rehearsal`: nginx as the load balancer, a private PostgreSQL cluster (initdb), and
  # ip/taskset/runuser for the hosts (iproute2, util-linux).
  rehearsal) wanted=(redis-server nginx postgresql-15 iproute2 util-linux libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core qpdf) ;;
  *) echo "usage: $0 run|test|rehearsal" >&2; exit 2 ;;
esac
command -v python3 >/dev/null || wanted+=(python3)
# Debian's python3 can only create the virtualenv once python3-venv (ensurepip) is installed.
if [ ! -x .venv/bin/python ] && ! python3 -c 'import ensurepip' 2>/dev/null; then
  wanted+=(python3-venv)
fi

if ! command -v dpkg-query >/dev/null; then
  echo "Not a Debian/Ubuntu system: make sure these (or their equivalents) are installed: ${wanted[*]}"
  exit 0
fi

installed() {
  dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | grep -q '^ii'
}

missing=()
for package in "${wanted[@]}"; do
  installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
  as_root=(sudo)
else
  echo "Missing Debian packages. Install them, then rerun: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
