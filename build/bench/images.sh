#!/usr/bin/env bash
# Benchmark of the two image builders on Beacon, from one run: the sdk builder's time against the docker
# builder's, cold (no bin/obj) and after a one-line change in Beacon, and both image sizes.
# Drives the library through an explicit test (a throw-away registry and test base image, a temp copy of Beacon);
# needs the Docker engine and Debian's docker-registry. Usage: build/bench/images.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
output="$(mktemp -t slipway-bench-images.XXXXXX)"
trap 'rm -f "$output"' EXIT
SLIPWAY_BENCH_OUTPUT="$output" dotnet test "$root/tests/Slipway.Delivery.Tests" -- \
  --filter-method "*Benchmark_sdk_against_docker_on_beacon" --explicit only >/dev/null || {
  echo "benchmark run failed; rerun: dotnet test tests/Slipway.Delivery.Tests -- --filter-method '*Benchmark_sdk_against_docker_on_beacon' --explicit only" >&2
  exit 1
}
echo "Image builders on Beacon ($(nproc) cores; times include dotnet publish and loading into the engine):"
cat "$output"
