#!/usr/bin/env bash
# Debian packages wakesmith needs: espeak-ng (synthetic speech), sox/ffmpeg (audio tools),
# libsndfile (soundfile), wamerican, wngerman and wfrench (the word lists phonetic confusables are drawn
# from, for English, German and French wake words),
# mosquitto (MQTT broker for the Judge's telemetry tests), g++ (the ESPHome gate's C++ core tests),
# chromium (the studio UI's Playwright specs, tests/web: Debian's browser, never `playwright install`).
set -euo pipefail
packages=(espeak-ng sox ffmpeg libsndfile1 wamerican wngerman wfrench mosquitto g++ chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
