#!/usr/bin/env bash
# Debian's chromium and chromium-driver for the dashboard's browser test (peer's DashboardBrowserTest drives
# /usr/bin/chromium headless through /usr/bin/chromedriver). Idempotent: does nothing when both are installed.
# Without them that test skips with a message saying so; CI installs them so it runs there.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "apt-chromium: chromium and chromedriver already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-chromium: no apt-get here; skipping (the dashboard's browser test will skip)"
  exit 0
fi
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd="sudo"
fi
$sudo_cmd apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends chromium chromium-driver
