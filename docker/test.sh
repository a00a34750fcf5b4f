#!/usr/bin/env bash
# End-to-end test of docker/compose.yml. Builds the images (base images from local parts with
# docker/local-base.sh unless BUILD_IMAGE and BASE_IMAGE name others), starts a coordinator and PEERS
# peers, and waits until the coordinator's JSON API shows three rounds in which all of them took part,
# with falling validation loss. Then it starts the `churn` profile (a container that kills and restarts
# peers at random) for CHURN_SECONDS and checks that it killed peers and that rounds kept completing
# during the churn and after it. When the image's `starling peer` has --attack, it then starts a new run
# with the `byzantine` profile (PEERS peers plus ATTACKERS peers with --attack $STARLING_ATTACK) and checks
# for three rounds with every member, attackers included, and falling validation loss.
# Always ends with `down -v` and checks that no container, network or volume of its project is left.
# Exits 1 on any failure, with one line saying what failed; 2 on bad input (nothing started then).
# Needs root (or the docker group), a running Docker engine, docker-compose 1.28 or newer, curl and python3.
# Settings: PEERS (4), CHURN_SECONDS (90), ATTACKERS (1), STARLING_ATTACK (sign-flip), BYZANTINE (auto|0),
# STARLING_DASHBOARD_PORT (8080), BUILD_IMAGE/BASE_IMAGE (both or neither).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=starlingtest
peers=${PEERS:-4}
churn_seconds=${CHURN_SECONDS:-90}
attackers=${ATTACKERS:-1}
byzantine=${BYZANTINE:-auto}
export STARLING_ATTACK=${STARLING_ATTACK:-sign-flip}
export STARLING_DASHBOARD_PORT=${STARLING_DASHBOARD_PORT:-8080}
port=$STARLING_DASHBOARD_PORT
api=http://127.0.0.1:$port/api
compose=(docker-compose -p "$project" -f "$here/compose.yml")
every_profile=(--profile churn --profile byzantine)

say() { echo "docker-test: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }
bad() { say "$*"; exit 2; }   # bad input or a missing tool: nothing was started
phase_start=$SECONDS
phase() { say "$1 (+$((SECONDS - phase_start))s)"; }

# Bad input first: each check says what to fix, and nothing has been started yet.
for n in "$peers" "$churn_seconds" "$attackers" "$port"; do
  [[ $n =~ ^[0-9]+$ ]] || bad "PEERS, CHURN_SECONDS, ATTACKERS and STARLING_DASHBOARD_PORT must be whole numbers (got '$n')"
done
(( peers >= 2 )) || bad "PEERS must be at least 2 (a group needs two members), got $peers"
(( attackers >= 1 )) || bad "ATTACKERS must be at least 1, got $attackers"
for tool in docker docker-compose curl python3; do
  command -v "$tool" >/dev/null || bad "$tool is not installed (Debian: apt-get install docker.io docker-compose curl python3)"
done
compose_version=$(docker-compose version --short 2>/dev/null || echo 0)
python3 -c "import sys; v=[int(x) for x in '$compose_version'.split('.')[:2]]; sys.exit(0 if v >= [1, 28] else 1)" \
  2>/dev/null || bad "docker-compose $compose_version is too old: the churn and byzantine profiles need 1.28 or newer"
docker info >/dev/null 2>&1 \
  || bad "no Docker engine answers (is dockerd running? start it, e.g. 'dockerd &', or run .ci/install.d/docker.sh)"
if [ -n "${BUILD_IMAGE+x}${BASE_IMAGE+x}" ]; then
  [ -n "${BUILD_IMAGE:-}" ] || bad "BASE_IMAGE is set but BUILD_IMAGE is not (or is empty): set both, or neither"
  [ -n "${BASE_IMAGE:-}" ] || bad "BUILD_IMAGE is set but BASE_IMAGE is not (or is empty): set both, or neither"
  for var in BUILD_IMAGE BASE_IMAGE; do
    docker image inspect "${!var}" >/dev/null 2>&1 || docker pull -q "${!var}" >/dev/null 2>&1 \
      || bad "$var=${!var}: no such image here and it cannot be pulled (docker/local-base.sh builds starling/jdk:25 and starling/jre:25)"
  done
fi

logs=$(mktemp -d /tmp/starling-docker-test.XXXXXX)
leftovers() {
  { docker ps -aq --filter "label=com.docker.compose.project=$project"
    docker network ls -q --filter "label=com.docker.compose.project=$project"
    docker volume ls -q --filter "label=com.docker.compose.project=$project"; } 2>/dev/null
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if (( rc != 0 )) && [ -n "$(docker ps -q --filter "label=com.docker.compose.project=$project" 2>/dev/null)" ]; then
    say "last log lines of each container:"
    "${compose[@]}" "${every_profile[@]}" logs --no-color --tail 15 >&2 2>/dev/null || true
  fi
  "${compose[@]}" "${every_profile[@]}" down -v --remove-orphans --timeout 10 >"$logs/down.log" 2>&1 || true
  if [ -n "$(leftovers)" ]; then
    say "FAILED: 'down -v' left containers, networks or volumes of project $project behind; removing them"
    docker rm -fv $(docker ps -aq --filter "label=com.docker.compose.project=$project") >/dev/null 2>&1 || true
    docker network rm $(docker network ls -q --filter "label=com.docker.compose.project=$project") >/dev/null 2>&1 || true
    docker volume rm $(docker volume ls -q --filter "label=com.docker.compose.project=$project") >/dev/null 2>&1 || true
    rc=1
  fi
  rm -rf "$logs"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A run of this script that was killed may have left its project up (and holding the port).
"${compose[@]}" "${every_profile[@]}" down -v --remove-orphans --timeout 10 >/dev/null 2>&1 || true
port_in_use="port $port on 127.0.0.1 is in use (the dashboard needs it): free it or set STARLING_DASHBOARD_PORT"
check_port() {
  python3 -c "import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $port))" \
    2>/dev/null || bad "$port_in_use"
}
check_port

if [ -z "${BUILD_IMAGE:-}" ]; then
  phase "building the base images from local parts (docker/local-base.sh)"
  "$here/local-base.sh"
  export BUILD_IMAGE=starling/jdk:25 BASE_IMAGE=starling/jre:25
fi
phase "building the Starling and churn images on $BUILD_IMAGE / $BASE_IMAGE"
"${compose[@]}" --profile churn build --force-rm coordinator churn >"$logs/build.log" 2>&1 \
  || { tail -25 "$logs/build.log" >&2; die "the image build failed (its last lines are above)"; }

phase "starting a coordinator and $peers peers"
check_port   # again: the build took minutes
up() { # compose arguments; a port taken meanwhile is reported as such
  "${compose[@]}" "$@" >"$logs/up.log" 2>&1 && return 0
  grep -q "address already in use" "$logs/up.log" && bad "$port_in_use"
  tail -5 "$logs/up.log" >&2
  die "docker-compose $* failed (its last lines are above)"
}
up up -d --scale peer="$peers"

rounds_json() { curl -fsS --max-time 5 "$api/rounds" 2>/dev/null || echo "[]"; }
# Evaluates a python expression over r (the coordinator's rounds, oldest first) and prints the result.
rounds() { rounds_json | python3 -c "import json, sys; r = json.load(sys.stdin); print($1)"; }

# Waits until RULE (a python expression over r) holds, for at most LIMIT seconds.
wait_for() {
  local limit=$1 rule=$2 what=$3 start=$SECONDS
  while (( SECONDS - start < limit )); do
    [ "$(rounds "bool($rule)" 2>/dev/null)" = True ] && return 0
    sleep 2
  done
  die "$what within ${limit}s; rounds (round:groupSize:valLoss): $(rounds \
    "' '.join('%d:%d:%.3f' % (x['round'], x['groupSize'], x['valLoss']) for x in r[-12:])" 2>/dev/null)"
}
last_round() { rounds "max((x['round'] for x in r), default=0)"; }
summary() { rounds "' '.join('%d:%d:%.3f' % (x['round'], x['groupSize'], x['valLoss']) for x in r[-$1:])"; }

full="[x for x in r if x['groupSize'] == $peers]"
wait_for 600 "len($full) >= 3 and $full[-1]['valLoss'] < $full[0]['valLoss']" \
  "three rounds with all $peers peers and falling validation loss"
phase "ok: three full rounds with falling validation loss (round:groupSize:valLoss $(summary 6))"

# Churn: the `churn` profile's container kills a random peer, restarts it later, and repeats.
before=$(last_round)
phase "churn for ${churn_seconds}s (profile churn; last round so far $before)"
"${compose[@]}" --profile churn up -d --no-deps churn >"$logs/churn.log" 2>&1 \
  || { tail -5 "$logs/churn.log" >&2; die "could not start the churn container"; }
sleep "$churn_seconds"
"${compose[@]}" --profile churn logs --no-color churn >"$logs/churn.log" 2>&1 || true
kills=$(grep -c 'churn: killed' "$logs/churn.log" || true)
(( kills >= 1 )) || { tail -5 "$logs/churn.log" >&2; die "the churn container killed no peer in ${churn_seconds}s"; }
during=$(last_round)
"${compose[@]}" --profile churn stop churn >/dev/null 2>&1   # restarts the peer it holds down
(( during >= before + 2 )) || die "only $((during - before)) rounds completed during ${churn_seconds}s of churn (want 2)"
phase "ok: $kills kills, rounds $before -> $during during churn"
wait_for 240 "len(r) > 0 and max(x['round'] for x in r) >= $during + 2" "two more rounds after the churn stopped"
phase "ok: rounds kept completing after the churn (round:groupSize:valLoss $(summary 4))"

# Byzantine: a fresh run with attackers in it from the start (a peer that joins mid-run sits rounds out, so
# they could not be added to the run above); the aggregator (run.toml: centered-clip) must keep training on course.
if [ "$byzantine" = 0 ]; then
  phase "skipping the byzantine phase (BYZANTINE=0)"
elif ! docker run --rm starling/peer:local peer --help 2>&1 | grep -q -- '--attack'; then
  phase "skipping the byzantine phase: this build's 'starling peer' has no --attack option"
else
  phase "byzantine: a new run with $peers peers and $attackers attacker(s) running --attack $STARLING_ATTACK"
  "${compose[@]}" "${every_profile[@]}" down -v --timeout 10 >"$logs/byz.log" 2>&1 \
    || { tail -5 "$logs/byz.log" >&2; die "could not take the first run down"; }
  up --profile byzantine up -d --scale peer="$peers" --scale attacker="$attackers"
  group=$((peers + attackers))
  attacked="[x for x in r if x['groupSize'] == $group]"
  wait_for 600 "len($attacked) >= 3 and $attacked[-1]['valLoss'] < $attacked[0]['valLoss']" \
    "three rounds with all $group members (attackers included) and falling validation loss"
  phase "ok: validation loss fell with the attacker(s) in the group (round:groupSize:valLoss $(summary 6))"
fi
phase "passed"
