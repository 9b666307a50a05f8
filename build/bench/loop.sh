#!/usr/bin/env bash
# Benchmark of the developer's loop, from one run on this checkout (the platform comes up if it is not running):
#   1. the fast tier (Test, forced, with Compile up to date) and the full suite (Test + EngineTest, forced);
#   2. a no-op rerun of ./build.sh (everything up to date; production must serve the same digest after it);
#   3. a one-line change in Beacon taken to staging and to production with --skip Test, then another one-line change
#      with the fast tier (./build.sh), each with every stage's duration and share of the whole.
# The one-line changes are left uncommitted and reverted at exit (the loop a developer runs before committing).
# Usage: build/bench/loop.sh [--no-full-suite]   (--no-full-suite: leave out the real-engine tier, which takes minutes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
full_suite=1
[[ "${1:-}" == "--no-full-suite" ]] && full_suite=0

changed="src/Beacon/Hosting/BeaconApp.cs"
git diff --quiet -- "$changed" || { echo "$changed has local changes; commit or stash them first (the benchmark edits it)" >&2; exit 1; }
logs="$(mktemp -d -t slipway-bench-loop.XXXXXX)"
restore() { git checkout -q -- "$changed" 2>/dev/null || true; }
trap restore EXIT

# Runs ./build.sh with the given arguments, logging to $logs/<label>.log; sets $elapsed (seconds).
run() { # $1: label, then build arguments
  local label="$1"; shift
  local start end
  start=$(date +%s.%N)
  if ! ./build.sh "$@" >"$logs/$label.log" 2>&1; then
    echo "./build.sh $* ($label) failed; its log: $logs/$label.log" >&2
    tail -40 "$logs/$label.log" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  elapsed=$(echo "$end - $start" | bc)
}

# The summary table's executed targets of a log, with each one's share of the wall time: "Target 12.3 s (40%)".
stages() { # $1: label
  awk -v total="$elapsed" '
    $2 == "Succeeded" && $3 ~ /^[0-9]+:[0-9][0-9]\.[0-9]+$/ {
      split($3, t, ":"); s = t[1] * 60 + t[2];
      if (s >= 0.05) printf "      %-20s %6.1f s  %3.0f%%\n", $1, s, 100 * s / total
    }' "$logs/$1.log"
}

# Seconds from the start of a run to the end of a target (its start time plus duration, from the summary's order).
until_target() { # $1: label, $2: target
  awk -v target="$2" '
    ($2 == "Succeeded" || $2 == "Up") && $NF ~ /^[0-9]+:[0-9][0-9]\.[0-9]+$/ {
      split($NF, t, ":"); sum += t[1] * 60 + t[2]; if ($1 == target) { printf "%.1f", sum; exit }
    }' "$logs/$1.log"
}

tally() { grep -E '^tests: [0-9]+ passed, [0-9]+ failed' "$logs/$1.log" | tail -1; }
digest() { curl -fsS "http://127.0.0.1:$1/version" | sed -n 's/.*"imageDigest":"\([^"]*\)".*/\1/p'; }

echo "The developer's loop ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)):"
run "warm-up" --skip Test   # the platform up, production on this checkout, every incremental target recorded
run "warm-up-tests" Test

run "fast tier" Test --force Test
printf '  %-44s %6.1f s   %s\n' "fast tier (./build.sh Test --force Test)" "$elapsed" "$(tally "fast tier")"

if (( full_suite )); then
  run "full suite" Test EngineTest --force Test EngineTest
  printf '  %-44s %6.1f s   %s\n' "full suite (both tiers, forced)" "$elapsed" "$(tally "full suite")"
else
  echo "  full suite                                    (left out: --no-full-suite)"
fi

before="$(digest 8080)"
run "no-op" 
printf '  %-44s %6.1f s   production %s\n' "no-op rerun of ./build.sh" "$elapsed" \
  "$([[ "$(digest 8080)" == "$before" ]] && echo "still serves ${before:0:19}" || echo "CHANGED from ${before:0:19}")"
grep -q "Nothing was built, deployed or promoted" "$logs/no-op.log" && echo "      (no run record written; every build stage up to date)"

sed -i '0,/"Beacon {Version} ({Commit}) starting/s//"Beacon {Version} ({Commit}) is starting/' "$changed"
git diff --quiet -- "$changed" && { echo "the one-line change did not apply to $changed" >&2; exit 1; }
run "one-line change, --skip Test" --skip Test
printf '  %-44s %6.1f s   (staging served it after %s s)\n' "one-line change to production, --skip Test" "$elapsed" \
  "$(until_target "one-line change, --skip Test" SmokeTest)"
stages "one-line change, --skip Test"

sed -i '0,/"Beacon {Version} ({Commit}) is starting/s//"Beacon {Version} ({Commit}) is now starting/' "$changed"
run "one-line change, fast tier" 
printf '  %-44s %6.1f s   (staging served it after %s s)\n' "one-line change to production, with Test" "$elapsed" \
  "$(until_target "one-line change, fast tier" SmokeTest)"
stages "one-line change, fast tier"
echo "  production now serves $(digest 8080)"
echo "  logs: $logs"
