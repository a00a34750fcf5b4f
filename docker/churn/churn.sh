#!/usr/bin/env bash
# The `churn` compose profile: kills one running peer of this compose project at random (SIGKILL, as a
# crash or a pulled cable would), leaves it down for a while, starts it again, waits, and repeats.
# It talks to the Docker Engine API over the socket that compose.yml mounts; it finds its own project
# from its container's labels. On SIGTERM (`docker-compose stop churn`) it restarts the peer it holds down.
# Settings (seconds): CHURN_DOWN_MIN_S/CHURN_DOWN_MAX_S (how long a peer stays down), CHURN_UP_MIN_S/
# CHURN_UP_MAX_S (pause between kills), CHURN_SEED (a fixed seed repeats the same choices),
# CHURN_SERVICE (the compose service to churn, default peer).
set -euo pipefail
sock=${DOCKER_SOCK:-/var/run/docker.sock}
service=${CHURN_SERVICE:-peer}
down_min=${CHURN_DOWN_MIN_S:-5} down_max=${CHURN_DOWN_MAX_S:-15}
up_min=${CHURN_UP_MIN_S:-5} up_max=${CHURN_UP_MAX_S:-15}
[ -n "${CHURN_SEED:-}" ] && RANDOM=$CHURN_SEED

say() { echo "churn: $*"; }
fail() { echo "churn: $*" >&2; exit 2; }
for n in "$down_min" "$down_max" "$up_min" "$up_max"; do
  [[ $n =~ ^[0-9]+$ ]] || fail "CHURN_*_S must be whole seconds, got '$n'"
done
(( down_min <= down_max && up_min <= up_max )) || fail "each CHURN_*_MIN_S must be <= its CHURN_*_MAX_S"
[ -S "$sock" ] || fail "no Docker socket at $sock; mount /var/run/docker.sock (compose.yml's churn service does)"

# $1 method, $2 path, rest: extra curl arguments. Prints the response body.
api() { local m=$1 p=$2; shift 2; curl -fsS --unix-socket "$sock" -X "$m" "$@" "http://docker$p"; }
between() { echo $(( $1 + RANDOM % ($2 - $1 + 1) )); }
nap() { sleep "$1" & wait $!; }   # interruptible, so SIGTERM is handled at once
name_of() { api GET "/containers/$1/json" | grep -o '"Name":"[^"]*"' | head -1 | cut -d'"' -f4 | tr -d /; }

project=${CHURN_PROJECT:-}
if [ -z "$project" ]; then
  self=$(api GET "/containers/$HOSTNAME/json") || fail "cannot reach the Docker Engine API at $sock"
  project=$(grep -o '"com.docker.compose.project":"[^"]*"' <<<"$self" | head -1 | cut -d'"' -f4 || true)
  [ -n "$project" ] || fail "this container was not started by docker-compose; set CHURN_PROJECT to the project to churn"
fi

victim=""
restore() {
  if [ -n "$victim" ]; then
    api POST "/containers/$victim/start" >/dev/null && say "restarted $(name_of "$victim") (stopping)"
  fi
  exit 0
}
trap restore TERM INT

filters="{\"label\":[\"com.docker.compose.project=$project\",\"com.docker.compose.service=$service\"],"
filters+="\"status\":[\"running\"]}"
say "project $project, service $service: down ${down_min}-${down_max}s, up ${up_min}-${up_max}s"
while true; do
  nap "$(between "$up_min" "$up_max")"
  mapfile -t running < <(api GET /containers/json -G --data-urlencode "filters=$filters" \
    | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4)
  if (( ${#running[@]} == 0 )); then
    say "no running $service container; waiting"
    continue
  fi
  pick=${running[RANDOM % ${#running[@]}]}
  down=$(between "$down_min" "$down_max")
  name=$(name_of "$pick")
  api POST "/containers/$pick/kill" >/dev/null
  victim=$pick
  say "killed $name for ${down}s (${#running[@]} were running)"
  nap "$down"
  api POST "/containers/$pick/start" >/dev/null
  victim=""
  say "restarted $name"
done
