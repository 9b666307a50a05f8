#!/usr/bin/env bash
# Benchmark: warm `./build.sh --help` against a bare `dotnet run --project build/_build.csproj -- --help`,
# measured in one run. Prints the median of N runs of each.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"

median_ms() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
time_ms() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }

./build.sh --help >/dev/null 2>&1   # warm the wrapper: compile once
dotnet build build/_build.csproj -nologo -v quiet >/dev/null 2>&1   # warm dotnet run's own output too

wrapper=$(for _ in $(seq "$runs"); do time_ms ./build.sh --help; done | median_ms)
bare=$(for _ in $(seq "$runs"); do time_ms dotnet run --project build/_build.csproj -- --help; done | median_ms)

printf 'startup benchmark (median of %s runs, warm)\n' "$runs"
printf '  ./build.sh --help                                   %6s ms\n' "$wrapper"
printf '  dotnet run --project build/_build.csproj -- --help  %6s ms\n' "$bare"
awk -v w="$wrapper" -v b="$bare" 'BEGIN { if (w > 0) printf "  speed-up                                            %6.1fx\n", b / w }'
