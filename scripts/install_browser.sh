#!/usr/bin/env bash
# Install headless Chromium and its WebDriver from Debian (the browse UI's end-to-end tests drive them).
# Idempotent: does nothing when both are installed. Needs root (CI images run as root).
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    echo "chromium and chromedriver already installed"; exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver
chromium --version && chromedriver --version
