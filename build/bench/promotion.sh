#!/usr/bin/env bash
# Benchmark of delivery to production, from one run on this checkout:
#   1. commit-to-production time of the default pipeline (./build.sh: Compile → Test → Containerize → ContainerTest → Push
#      → Deploy staging → SmokeTest → Promote production → PromotionSmokeTest): cold (build outputs removed, platform
#      stopped) and again after a one-line change in Beacon (reverted at exit), with each target's duration;
#   2. failed requests out of the total during a blue-green switch (and switch-back) and a canary promotion under constant
#      load, and the time from a failed canary analysis to 100% of traffic on stable — measured by the agent's drills on
#      the real Docker engine, which record their figures.
# Usage: build/bench/promotion.sh [--skip-tests]   (--skip-tests: the pipeline without its Test target, for a quicker figure)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
skip=()
[[ "${1:-}" == "--skip-tests" ]] && skip=(--skip Test)

changed="src/Beacon/Hosting/BeaconApp.cs"
git diff --quiet -- "$changed" || { echo "$changed has local changes; commit or stash them first (the benchmark edits it)" >&2; exit 1; }
logs="$(mktemp -d -t slipway-bench-promotion.XXXXXX)"
restore() { git checkout -q -- "$changed" 2>/dev/null || true; rm -rf "$logs"; }
trap restore EXIT

pipeline() { # $1: label
  local start end
  start=$(date +%s.%N)
  if ! ./build.sh "${skip[@]}" >"$logs/$1.log" 2>&1; then
    echo "the pipeline ($1) failed; its log: $logs/$1.log" >&2
    tail -40 "$logs/$1.log" >&2
    trap - EXIT
    exit 1
  fi
  end=$(date +%s.%N)
  printf '  %-28s %6.1f s   (' "$1" "$(echo "$end - $start" | bc)"
  # The summary table: "Target   Succeeded   m:ss.fff"; show the delivery targets after the tests.
  awk '$2 == "Succeeded" && $1 ~ /^(Test|Containerize|ContainerTest|Push|GitOpsCommit|Deploy|SmokeTest|Promote|PromotionSmokeTest)$/ { printf "%s %s  ", $1, $3 }' "$logs/$1.log"
  echo ")"
  curl -fsS http://127.0.0.1:8080/version >"$logs/$1.version" || { echo "production does not answer on 127.0.0.1:8080 after $1" >&2; exit 1; }
}

echo "Delivery to production ($(nproc) cores, Docker $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))${skip:+, tests skipped}:"
./build.sh PlatformDown >/dev/null 2>&1 || true
./build.sh Clean >/dev/null 2>&1 || true
pipeline "cold"
sed -i '0,/"Beacon {Version} ({Commit}) starting/s//"Beacon {Version} ({Commit}) is starting/' "$changed"   # one line: a log message
git diff --quiet -- "$changed" && { echo "the one-line change did not apply to $changed" >&2; exit 1; }
pipeline "after a one-line change"
cmp -s "$logs/cold.version" "$logs/after a one-line change.version" &&
  { echo "production still reports the cold run's version/digest after the change" >&2; exit 1; }
echo "  production now serves: $(cat "$logs/after a one-line change.version")"

echo
echo "Promotions under constant load and canary abort (agent drills, real Docker engine):"
SLIPWAY_AGENT_TEST_LOGS="$logs" dotnet test "$root/tests/Slipway.Agent.Tests" -- \
  --filter-class "*BlueGreenTests" --filter-class "*CanaryTests" >"$logs/drills.log" 2>&1 || {
  echo "the drills failed; rerun: dotnet test tests/Slipway.Agent.Tests -- --filter-class '*BlueGreenTests' --filter-class '*CanaryTests'" >&2
  tail -40 "$logs/drills.log" >&2
  exit 1
}
sed 's/^[0-9:.]* /  /' "$logs/figures.txt"
