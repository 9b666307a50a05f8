#!/usr/bin/env bash
# Slipway's bootstrapper: finds (or installs) a .NET SDK that satisfies global.json, compiles the build project
# only when its inputs changed, and runs it with every argument passed through. Exit code = the build's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEMP_DIR="$ROOT/.nuke/temp"
BUILD_PROJECT="$ROOT/build/_build.csproj"
BUILD_OUTPUT="$TEMP_DIR/build-bin"
BUILD_STAMP="$TEMP_DIR/build.stamp"
LOCAL_DOTNET_DIR="$TEMP_DIR/dotnet"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DOTNET_GENERATE_ASPNET_CERTIFICATE=false
export DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=1

# global.json pins "version" with rollForward latestFeature: any SDK of the same major.minor whose
# feature band is at least the pinned one will do.
pinned_version="$(sed -n 's/.*"version"[^"]*"\([0-9][0-9.]*\)".*/\1/p' "$ROOT/global.json" | head -n 1)"
pinned_major_minor="${pinned_version%.*}"
pinned_band="${pinned_version##*.}"; pinned_band="${pinned_band:0:1}"

satisfies_global_json() { # $1 = dotnet executable
    local sdk
    while read -r sdk _; do
        [[ "${sdk%.*}" == "$pinned_major_minor" ]] || continue
        local patch="${sdk##*.}"; patch="${patch%%-*}"
        (( ${patch:0:1} >= pinned_band )) && return 0
    done < <("$1" --list-sdks 2>/dev/null)
    return 1
}

find_dotnet() {
    local candidate
    for candidate in "$LOCAL_DOTNET_DIR/dotnet" "$(command -v dotnet 2>/dev/null || true)"; do
        if [[ -n "$candidate" && -x "$candidate" ]] && satisfies_global_json "$candidate"; then
            echo "$candidate"; return 0
        fi
    done
    return 1
}

install_dotnet() {
    echo "No .NET SDK $pinned_major_minor (feature band >= ${pinned_band}xx) found; installing one into .nuke/temp/dotnet" >&2
    mkdir -p "$LOCAL_DOTNET_DIR"
    local script="$TEMP_DIR/dotnet-install.sh"
    if ! curl -fsSL --retry 2 https://dot.net/v1/dotnet-install.sh -o "$script" 2>/dev/null; then
        echo "error: could not download the dotnet-install script (offline?)." >&2
        echo "       Install a .NET SDK $pinned_major_minor.${pinned_band}xx or later yourself (https://dot.net), put it on PATH, and run ./build.sh again." >&2
        exit 1
    fi
    bash "$script" --jsonfile "$ROOT/global.json" --install-dir "$LOCAL_DOTNET_DIR" --no-path >&2
}

DOTNET="$(find_dotnet || true)"
if [[ -z "$DOTNET" ]]; then
    install_dotnet
    DOTNET="$(find_dotnet)" || { echo "error: the installed SDK does not satisfy global.json" >&2; exit 1; }
fi
export DOTNET_ROOT="$(dirname "$(readlink -f "$DOTNET")")"
export PATH="$DOTNET_ROOT:$PATH"

# Rebuild the build project only when one of its inputs is newer than the last successful compile.
build_inputs_changed() {
    [[ -f "$BUILD_STAMP" && -f "$BUILD_OUTPUT/_build.dll" ]] || return 0
    [[ -n "$(find "$ROOT/build" "$ROOT/src/Slipway.Build" "$ROOT/src/Slipway.Delivery" "$ROOT/src/Slipway.Delivery.Core" "$ROOT/src/Slipway.Edge.Contract" \
                  "$ROOT/global.json" "$ROOT/Directory.Build.props" "$ROOT/Directory.Packages.props" \
                  \( -name bin -o -name obj -o -name bench \) -prune -o -type f -newer "$BUILD_STAMP" -print -quit)" ]]
}

# The runtime identifier of this machine, for a ReadyToRun build project; nothing for a platform not listed.
runtime_identifier() {
    local os arch
    case "$(uname -s)" in Linux) os=linux ;; Darwin) os=osx ;; *) return 1 ;; esac
    case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) return 1 ;; esac
    echo "$os-$arch"
}

if build_inputs_changed; then
    mkdir -p "$TEMP_DIR"
    touch "$BUILD_STAMP.next"
    echo "Compiling the build project..." >&2
    # Compiled ReadyToRun for this machine (crossgen2 comes from NuGet like any package): every command starts about a
    # quarter sooner (0.32 -> 0.25 s idle, 1.0 -> 0.75 s on a loaded machine), which an incident's Rollback counts in
    # its MTTR. The code still runs on the shared runtime; where no identifier is known it is compiled as before.
    if rid="$(runtime_identifier)"; then
        compile=(publish "$BUILD_PROJECT" -c Debug -r "$rid" --self-contained false -p:PublishReadyToRun=true -o "$BUILD_OUTPUT")
    else
        compile=(build "$BUILD_PROJECT" -c Debug -o "$BUILD_OUTPUT")
    fi
    if ! "$DOTNET" "${compile[@]}" -nologo -v quiet -clp:NoSummary >&2; then
        echo "error: the build project failed to compile (see above)." >&2
        exit 1
    fi
    mv "$BUILD_STAMP.next" "$BUILD_STAMP"
fi

cd "$ROOT"
exec "$DOTNET" "$BUILD_OUTPUT/_build.dll" --root "$ROOT" "$@"
