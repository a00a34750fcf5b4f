#!/usr/bin/env bash
# A Docker engine for docker/test.sh, which .ci/run runs after the Maven build: Debian's docker.io,
# docker-compose and debootstrap (CI reaches no image registry, so docker/local-base.sh builds the base
# images from Debian's package mirror), plus curl and python3 that the test drives the API with. Then it
# starts dockerd when no engine answers and waits for it, at most DOCKERD_WAIT_S seconds (60).
# Idempotent: installs only what is missing and leaves a running engine alone.
# STARLING_CI_SKIP_DOCKER=1 skips this and docker/test.sh (for a CI machine that cannot run containers).
set -euo pipefail
say() { echo "docker-install: $*" >&2; }
if [ "${STARLING_CI_SKIP_DOCKER:-0}" = 1 ]; then
  say "STARLING_CI_SKIP_DOCKER=1: skipping"
  exit 0
fi
wait_s=${DOCKERD_WAIT_S:-60}
[[ $wait_s =~ ^[0-9]+$ ]] || { say "DOCKERD_WAIT_S must be whole seconds, got '$wait_s'"; exit 2; }
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { say "not root and no sudo: run CI as root (docker/test.sh needs it)"; exit 2; }
  sudo_cmd="sudo"
fi
PATH=$PATH:/usr/sbin:/sbin   # debootstrap and dockerd live in sbin

missing=()
command -v docker >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
if (( ${#missing[@]} )); then
  command -v apt-get >/dev/null || { say "no apt-get here; install ${missing[*]} by hand"; exit 2; }
  say "installing ${missing[*]}"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "docker, docker-compose and debootstrap already installed"
fi

if $sudo_cmd docker info >/dev/null 2>&1; then
  say "the Docker engine is running"
  exit 0
fi
log=${DOCKERD_LOG:-/tmp/starling-dockerd.log}
pid=""
if pgrep -x dockerd >/dev/null; then
  say "dockerd is running but not answering yet; waiting"
else
  # The packages' service may not have started (no systemd in a container): start the daemon ourselves,
  # detached from this script's terminal and output so that CI does not wait on it.
  say "starting dockerd (log: $log)"
  $sudo_cmd setsid nohup dockerd >"$log" 2>&1 </dev/null &
  pid=$!
fi
for (( i = 0; i < wait_s; i++ )); do
  if $sudo_cmd docker info >/dev/null 2>&1; then
    say "the Docker engine answers after ${i}s"
    exit 0
  fi
  if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && ! pgrep -x dockerd >/dev/null; then
    tail -15 "$log" >&2 || true
    say "dockerd exited at start (its last log lines are above)"
    exit 1
  fi
  sleep 1
done
tail -15 "$log" >&2 2>/dev/null || true
say "the Docker engine did not answer within ${wait_s}s (DOCKERD_WAIT_S); see $log"
exit 1
