#!/usr/bin/env bash
# Benchmark of the agent on the real Docker engine, from one run: time from a config-repo push to the environment
# serving the new revision (by webhook, and by interval alone), failed requests out of the total during a rolling
# update under constant load, and disaster recovery from Git. Drives the agent's tests that measure these and prints
# the figures they record. Needs the Docker engine, Debian's docker-registry and mmdebstrap (./build.sh Infrastructure).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
logs="$(mktemp -d -t slipway-bench-agent.XXXXXX)"
trap 'rm -rf "$logs"' EXIT
SLIPWAY_AGENT_TEST_LOGS="$logs" dotnet test "$root/tests/Slipway.Agent.Tests" -- \
  --filter-class "*DeliveryLatencyBenchmark" --filter-class "*RollingUpdateTests" --filter-class "*ConvergenceTests" >/dev/null || {
  echo "benchmark run failed; rerun: dotnet test tests/Slipway.Agent.Tests -- --filter-class '*DeliveryLatencyBenchmark'" >&2
  exit 1
}
echo "Agent figures ($(nproc) cores, Docker $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')):"
sed 's/^[0-9:]* /  /' "$logs/figures.txt"
