#!/usr/bin/env bash
# Benchmark of the edge and the supervised agent, from one run on the real platform (issue #12). Under constant load on
# production's port (curl, one kept-alive connection per loop, counting every answer that is not 200), it measures:
#   1. the agent killed (SIGKILL): failed/total requests, and the time until supervisord has it back on its port;
#   2. an agent upgrade (its published copy made stale, then ./build.sh Infrastructure): failed/total, Infrastructure's time;
#   3. an edge upgrade (the serving copy made stale, then ./build.sh Infrastructure: blue/green socket handover);
#   4. a cold rollback (./build.sh Rollback --environment production --to the version it ran before, whose replicas are
#      gone: the warm ones are removed first, as the end of the rollback window would) and a warm one (right after it, back to the version it
#      just left): failed/total, the MTTR Rollback prints, and when the traffic switched as the load saw it (/version);
#   5. a paused replica (docker pause on one production replica): failed/total, and the replica is unpaused again.
# Production needs two versions in its history for the rollbacks: the benchmark deploys this checkout, then a one-line
# change of Beacon (left uncommitted, reverted at exit), each with --skip Test; --no-deploy leaves that out (a run on a
# platform whose production already ran two versions).
# EDGE_BENCH_RATE=N paces each of the two load loops at N requests a second (curl --rate); unset, they run flat out,
# which saturates a 2-core machine and times the CPU's queue as much as the case.
# Hold the platform lock around it: flock /tmp/slipway-platform.lock build/bench/edge.sh [--no-deploy] [case label[,label...]]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
port=8080
agent_port=8090
min_requests=5000
deploy=1
[[ "${1:-}" == "--no-deploy" ]] && { deploy=0; shift; }
only="${1:-}"   # run only the cases with these labels, comma-separated (e.g. "paused replica" or "cold rollback,warm rollback")
platform="$root/.nuke/platform"
ctl=(supervisorctl -c "$platform/supervisor/supervisord.conf")

changed="src/Beacon/Hosting/BeaconApp.cs"
git diff --quiet -- "$changed" || { echo "$changed has local changes; commit or stash them first (the benchmark edits it)" >&2; exit 1; }
logs="$(mktemp -d -t slipway-bench-edge.XXXXXX)"
load_pids=()
stop_load() { for pid in "${load_pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait "${load_pids[@]}" 2>/dev/null || true; load_pids=(); }
switch_watcher=""
restore() { stop_load; [[ -z "$switch_watcher" ]] || kill "$switch_watcher" 2>/dev/null || true; git checkout -q -- "$changed" 2>/dev/null || true; }
trap restore EXIT

build() { # $1: label, then build arguments; sets $elapsed
  local label="$1"; shift
  local start; start=$(date +%s.%N)
  if ! ./build.sh "$@" >"$logs/$label.log" 2>&1; then
    echo "./build.sh $* ($label) failed; its log: $logs/$label.log" >&2; tail -40 "$logs/$label.log" >&2; exit 1
  fi
  elapsed=$(echo "$(date +%s.%N) - $start" | bc)
}

# Two loops of sequential requests on kept-alive connections; every answer's status is one line in $logs/<label>.load.N.
start_load() { # $1: label
  for n in 1 2; do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 ${EDGE_BENCH_RATE:+--rate "$EDGE_BENCH_RATE/s"} \
      "http://127.0.0.1:$port/?bench=[1-10000000]" >"$logs/$1.load.$n" 2>/dev/null &
    load_pids+=($!)
  done
}
requests() { cat "$logs/$1".load.* 2>/dev/null | wc -l; }
wait_requests() { # $1: label, $2: at least this many requests in all
  local deadline=$((SECONDS + 300))
  while (( $(requests "$1") < $2 )); do (( SECONDS < deadline )) || { echo "the load did not reach $2 requests" >&2; exit 1; }; sleep 0.2; done
}
# Runs the load around the case: $min_requests/2 before, the case, then until at least $min_requests in all.
measure() { # $1: label, $2: the case (a function)
  [[ -z "$only" || ",$only," == *",$1,"* ]] || return 0
  start_load "$1"; wait_requests "$1" $((min_requests / 2))
  "$2"
  wait_requests "$1" $(( $(requests "$1") + 500 > min_requests ? $(requests "$1") + 500 : min_requests ))
  stop_load
  local total failed
  total=$(requests "$1"); failed=$(cat "$logs/$1".load.* | grep -vc '^200$' || true)
  printf '  %-28s %5d failed of %6d requests   %s\n' "$1" "$failed" "$total" "$detail"
}
seconds_since() { echo "${2:-$(date +%s.%N)} - $1" | bc | xargs printf '%.1f'; }   # $2: the end (default now)

agent_killed() {
  local pid start; pid=$("${ctl[@]}" pid agent); start=$(date +%s.%N)
  kill -9 "$pid"
  # The killed agent answers nothing: the first answer comes from the one supervisord started again.
  until curl -fsS -o /dev/null "http://127.0.0.1:$agent_port/healthz" 2>/dev/null; do sleep 0.05; done
  detail="agent back on its port after $(seconds_since "$start") s (pid $pid -> $("${ctl[@]}" pid agent))"
}
agent_upgrade() {
  echo stale >"$platform/agent-bin/source-fingerprint"
  build "agent upgrade" Infrastructure
  detail="Infrastructure (publish + restart) $(printf '%.1f' "$elapsed") s"
}
edge_upgrade() {
  local serving; serving=$(readlink "$platform/edge/admin.sock"); serving=${serving#admin-}; serving=${serving%.sock}
  echo stale >"$platform/edge-bin-$serving/source-fingerprint"
  build "edge upgrade" Infrastructure
  local now; now=$(readlink "$platform/edge/admin.sock"); now=${now#admin-}; now=${now%.sock}
  detail="Infrastructure (publish + handover + drain) $(printf '%.1f' "$elapsed") s, edge $serving -> $now"
}
mttr() { sed -n 's/.*MTTR[^0-9]*\([0-9.]* s\).*/\1/p' "$logs/$1.log" | head -1; }
# The switch as the load sees it: from $2 (the command's start), production's /version every 20 ms until it names
# another digest than $1; the edge moves all traffic in one route update, so that first answer is the switch. Writes
# the seconds to $logs/$3.switch. Started in the background before the command, stopped after it. Bash builtins only
# (/dev/tcp, read, a regex match, $EPOCHREALTIME): a curl, a sed and a sleep every 20 ms were 150 processes a second,
# which on a 2-core machine slowed the very rollback being timed.
watch_switch() {
  local left="$1" start="$2" label="$3" answer tick
  tick="$(mktemp -u)"; mkfifo "$tick"; exec 4<>"$tick"; rm -f "$tick"   # read -t on it waits without a process
  while :; do
    answer=""
    if exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
      printf 'GET /version HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$port" >&3
      IFS= read -r -d '' answer <&3 || true
      exec 3>&-
    fi
    if [[ "$answer" =~ \"imageDigest\":\"([^\"]+)\" && "${BASH_REMATCH[1]}" != "$left" ]]; then
      seconds_since "$start" "$EPOCHREALTIME" >"$logs/$label.switch"; return
    fi
    read -r -t 0.02 -u 4 || true
  done
}
# Runs a rollback (build arguments after the label) with the switch watched; sets $switched to its time or "not seen".
rollback_watched() {
  local label="$1"; shift
  local from start; from=$(serving_digest); start=$(date +%s.%N)
  # A copy of this script that holds the platform lock too: stopped on every way out (restore).
  watch_switch "$from" "$start" "$label" & switch_watcher=$!
  build "$label" "$@"
  sleep 0.2; kill "$switch_watcher" 2>/dev/null || true; wait "$switch_watcher" 2>/dev/null || true; switch_watcher=""
  switched="$(cat "$logs/$label.switch" 2>/dev/null || echo "not seen") s"
}
serving_digest() { curl -fsS "http://127.0.0.1:$port/version" | sed -n 's/.*"imageDigest":"\([^"]*\)".*/\1/p'; }
# Cold: to a version whose replicas are long gone (a revert of the last deploy, or --to the last image built when
# production no longer runs it). Warm: right after, --to the version the cold rollback just left.
# Outside the rollback window: the replicas kept warm beside production's are removed, as the agent removes them when
# the window ends (production keeps them 15 minutes, longer than this benchmark waits).
end_rollback_window() {
  local routed agent; routed=$(jq -r '.routes[] | select(.environment == "production") | (.stable + (.canary // []))[].id' "$platform/edge/routes.json")
  agent=$(docker inspect --format '{{index .Config.Labels "slipway.agent"}}' "$(head -1 <<<"$routed")")
  docker ps --filter "label=slipway.agent=$agent" --filter label=slipway.environment=production --format '{{.Names}}' \
    | { grep -vxF "$routed" || true; } | xargs -r docker rm -f >/dev/null
  # A window ends minutes before the rollback it makes cold, not during it: the removal's teardown (the engine's and
  # the kernel's, a second or two of CPU on 2 cores) is let finish under the load rather than timed as the rollback's.
  sleep 5
}
# The newest version production ran other than the one it serves, from the config repo's history (works on any history).
other_version() {
  git -C "$platform/config.git" log --format='%(trailers:key=Slipway-Image,valueonly)' HEAD -- environments/production/ \
    | sed -n 's/.*@\(sha256:[0-9a-f]*\).*/\1/p' | grep -vxF "$(serving_digest)" | head -1
}
cold_rollback() {
  end_rollback_window
  left=$(serving_digest)
  rollback_watched "cold rollback" Rollback --environment production --to "$(other_version)"
  detail="MTTR $(mttr "cold rollback"), traffic switched after $switched (${left:7:12} -> $(serving_digest | cut -c8-19))"
}
warm_rollback() {
  local from; from=$(serving_digest)
  rollback_watched "warm rollback" Rollback --environment production --to "$left"
  detail="MTTR $(mttr "warm rollback"), traffic switched after $switched (${from:7:12} -> $(serving_digest | cut -c8-19))"
}
# The replicas production's traffic goes to, from the edge's route table (the previous version's may stay warm beside
# them, out of traffic).
production_replicas() { jq -r '.routes[] | select(.environment == "production") | .stable[].id' "$platform/edge/routes.json"; }
paused_replica() {
  # A rollout that just ended may still be replacing replicas: pause one of the three that serve.
  until [[ $(production_replicas | wc -l) -eq 3 ]]; do sleep 0.5; done
  local replica; replica=$(production_replicas | head -1)
  docker pause "$replica" >/dev/null
  local start; start=$(date +%s.%N)
  wait_requests "paused replica" $(( $(requests "paused replica") + 1500 ))
  local outcome="then unpaused"
  docker unpause "$replica" >/dev/null 2>&1 || outcome="meanwhile replaced by the agent"
  detail="$replica paused for $(seconds_since "$start") s under load, $outcome"
}

echo "Edge and supervised agent ($(nproc) cores, kernel $(uname -r), tcp_migrate_req=$(cat /proc/sys/net/ipv4/tcp_migrate_req 2>/dev/null || echo n/a), load $([[ -n "${EDGE_BENCH_RATE:-}" ]] && echo "2 x $EDGE_BENCH_RATE/s" || echo "2 loops flat out"), $(date -u +%Y-%m-%dT%H:%MZ)):"
if (( deploy )); then
build "deploy this checkout" --skip Test
sed -i '0,/"Beacon {Version} ({Commit}) starting/s//"Beacon {Version} ({Commit}) is starting/' "$changed"
git diff --quiet -- "$changed" && { echo "the one-line change did not apply to $changed" >&2; exit 1; }
build "deploy a one-line change" --skip Test
git checkout -q -- "$changed"
else
build "platform up" Infrastructure
until curl -fs -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.2; done
fi

detail=""
measure "agent killed (SIGKILL)" agent_killed
measure "agent upgrade" agent_upgrade
measure "edge upgrade" edge_upgrade
measure "cold rollback" cold_rollback
measure "warm rollback" warm_rollback
measure "paused replica" paused_replica
echo "  logs: $logs"
