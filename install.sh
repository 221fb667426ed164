#!/usr/bin/env bash
# Install what quote-review needs on Debian 12 (run as root): system packages, a .venv, the project.
# Idempotent: a second run installs nothing new.   Usage: bash install.sh [--test]
set -euo pipefail
cd "$(dirname "$0")"

packages=(tesseract-ocr tesseract-ocr-fra)
if [[ "${1:-}" == "--test" ]]; then
  # the store tests run against a throwaway PostgreSQL cluster as well as SQLite; the web app's browser
  # tests drive Debian's chromium with Playwright
  packages+=(postgresql chromium)
fi
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
"$python" -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if (( ${#missing[@]} )); then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[[ -x .venv/bin/python ]] || "$python" -m venv .venv
stamp=".venv/.install-stamp"
wanted=$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)
if [[ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
  echo "installing Python packages into .venv (pinned by requirements.lock)"
  log=$(mktemp)
  if ! { .venv/bin/pip install -q --disable-pip-version-check --upgrade pip &&
         .venv/bin/pip install -q --disable-pip-version-check -c requirements.lock -e '.[test]'; } >"$log" 2>&1; then
    cat "$log"; echo "pip install failed" >&2; exit 1
  fi
  rm -f "$log"
  echo "$wanted" > "$stamp"
fi
