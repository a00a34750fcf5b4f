#!/usr/bin/env bash
# End-to-end test of docker/compose.yml: builds the images (from local parts: docker/local-base.sh),
# starts a coordinator and four peers, waits until the coordinator's JSON API shows at least three
# rounds in which all four peers took part with falling validation loss, then kills and restarts peers
# at random for CHURN_SECONDS and checks that rounds keep completing. Always ends with `down -v`.
# Exits non-zero on any failure. Needs root (or docker group), dockerd running, docker-compose.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=starlingtest
compose=(docker-compose -p "$project" -f "$here/compose.yml")
peers=${PEERS:-4}
churn_seconds=${CHURN_SECONDS:-90}
api=http://127.0.0.1:8080/api

say() { echo "docker-test: $*" >&2; }
cleanup() { "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT

"$here/local-base.sh"
export BUILD_IMAGE=starling/jdk:25 BASE_IMAGE=starling/jre:25
say "building the Starling image"
"${compose[@]}" build coordinator >/dev/null
say "starting a coordinator and $peers peers"
"${compose[@]}" up -d --scale peer="$peers" >/dev/null

rounds_json() { curl -fsS "$api/rounds" 2>/dev/null || echo "[]"; }

# Waits until RULE (a python expression over `r`, the rounds list) holds, for at most $1 seconds.
wait_for() {
  local limit=$1 rule=$2 what=$3 start=$SECONDS
  while (( SECONDS - start < limit )); do
    if rounds_json | python3 -c "import json,sys; r=json.load(sys.stdin); sys.exit(0 if ($rule) else 1)"; then
      return 0
    fi
    sleep 2
  done
  say "FAILED: $what within ${limit}s; last rounds: $(rounds_json | head -c 600)"
  "${compose[@]}" logs --tail 20 >&2 || true
  return 1
}

full="[x for x in r if x['groupSize'] == $peers]"
wait_for 600 "len($full) >= 3 and $full[-1]['valLoss'] < $full[0]['valLoss']" \
  "three rounds with all $peers peers and falling validation loss"
say "ok: $(rounds_json | python3 -c "import json,sys; r=json.load(sys.stdin); print(len(r), 'rounds, val loss', r[0]['valLoss'], '->', r[-1]['valLoss'])")"

before=$(rounds_json | python3 -c "import json,sys; r=json.load(sys.stdin); print(r[-1]['round'] if r else 0)")
say "churn for ${churn_seconds}s: killing and restarting peers at random (last round $before)"
start=$SECONDS
mapfile -t containers < <("${compose[@]}" ps -q peer)
while (( SECONDS - start < churn_seconds )); do
  victim=${containers[RANDOM % ${#containers[@]}]}
  docker kill "$victim" >/dev/null
  sleep $(( 5 + RANDOM % 10 ))
  docker start "$victim" >/dev/null
  sleep $(( 5 + RANDOM % 10 ))
done
wait_for 180 "len(r) > 0 and r[-1]['round'] >= $before + 3" "three more rounds during and after churn"
say "ok: rounds kept completing under churn (last round $(rounds_json | python3 -c "import json,sys; print(json.load(sys.stdin)[-1]['round'])"))"
