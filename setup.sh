#!/usr/bin/env bash
# Install everything mlexp needs into .venv, then start the gallery or run the tests.
#   bash setup.sh demo   install the dashboards' stack and open the Voila gallery (port 8866)
#   bash setup.sh hub    install JupyterHub and its proxy and start `mlexp hub` (as root; docs/deploy.md)
#   bash setup.sh test   install the training and test stack (and Chromium) and run all tests
set -euo pipefail
cd "$(dirname "$0")"
what=${1:-demo}
shift || true

apt_install() {  # install Debian packages that are missing (as root, or with sudo)
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || { echo "Please install: ${missing[*]}" >&2; return 1; }
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

hub_proxy() {  # JupyterHub's proxy, from npm, into .venv/node_modules (Debian's Node.js when none is there)
  command -v npm >/dev/null || apt_install nodejs npm
  [ -x .venv/node_modules/.bin/configurable-http-proxy ] ||
    npm install --silent --no-audit --no-fund --prefix .venv configurable-http-proxy@4.6.3
}

# Debian's Python first: every account can run it (JupyterHub runs students' servers as their own
# accounts; a Python under /root, such as pyenv's, is closed to them).
python=${PYTHON:-$(command -v /usr/bin/python3.11 || command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv 2>/dev/null || { apt_install python3-venv; rm -rf .venv; "$python" -m venv .venv; }
fi
.venv/bin/python -m pip install -q --upgrade pip
# Use the shared data mirror when it lies beside the checkout (machines without internet).
if [ -z "${MLEXP_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  export MLEXP_DATA_DIR=$(cd ../shared/data && pwd)
fi

case "$what" in
  demo)
    .venv/bin/python -m pip install -q -e .
    exec .venv/bin/mlexp demo "$@"
    ;;
  hub)
    hub_proxy
    .venv/bin/python -m pip install -q -e ".[hub]"
    exec .venv/bin/mlexp hub "$@"
    ;;
  test)
    apt_install chromium fonts-dejavu-core
    hub_proxy
    .venv/bin/python -m pip install -q -e ".[test]"
    exec .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: bash setup.sh demo|hub|test [arguments for mlexp demo, mlexp hub or pytest]" >&2
    exit 2
    ;;
esac
