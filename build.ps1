#!/usr/bin/env pwsh
# Slipway's bootstrapper for PowerShell (Windows, macOS, Linux): the same contract as build.sh.
# Finds (or installs) a .NET SDK that satisfies global.json, compiles the build project only when its inputs
# changed, and runs it with every argument passed through. Exit code = the build's.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = $PSScriptRoot
$TempDir = Join-Path $Root '.nuke/temp'
$BuildProject = Join-Path $Root 'build/_build.csproj'
$BuildOutput = Join-Path $TempDir 'build-bin'
$BuildStamp = Join-Path $TempDir 'build.stamp'
$LocalDotnetDir = Join-Path $TempDir 'dotnet'

$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'
$env:DOTNET_GENERATE_ASPNET_CERTIFICATE = 'false'

# global.json pins "version" with rollForward latestFeature: same major.minor, feature band at least the pinned one.
$pinned = (Get-Content (Join-Path $Root 'global.json') -Raw | ConvertFrom-Json).sdk.version
$pinnedMajorMinor = $pinned.Substring(0, $pinned.LastIndexOf('.'))
$pinnedBand = [int]$pinned.Substring($pinned.LastIndexOf('.') + 1, 1)

function Test-SatisfiesGlobalJson([string] $dotnet) {
    foreach ($line in (& $dotnet --list-sdks 2>$null)) {
        $sdk = ($line -split ' ')[0]
        $majorMinor = $sdk.Substring(0, $sdk.LastIndexOf('.'))
        $patch = ($sdk.Substring($sdk.LastIndexOf('.') + 1) -split '-')[0]
        if ($majorMinor -eq $pinnedMajorMinor -and [int]$patch.Substring(0, 1) -ge $pinnedBand) { return $true }
    }
    return $false
}

function Find-Dotnet {
    $exe = if ($IsWindows -or $env:OS -eq 'Windows_NT') { 'dotnet.exe' } else { 'dotnet' }
    $candidates = @((Join-Path $LocalDotnetDir $exe))
    $onPath = Get-Command dotnet -ErrorAction SilentlyContinue
    if ($onPath) { $candidates += $onPath.Source }
    foreach ($candidate in $candidates) {
        if ((Test-Path $candidate) -and (Test-SatisfiesGlobalJson $candidate)) { return $candidate }
    }
    return $null
}

$dotnet = Find-Dotnet
if (-not $dotnet) {
    Write-Host "No .NET SDK $pinnedMajorMinor (feature band >= ${pinnedBand}xx) found; installing one into .nuke/temp/dotnet"
    New-Item -ItemType Directory -Force -Path $LocalDotnetDir | Out-Null
    $script = Join-Path $TempDir 'dotnet-install.ps1'
    try { Invoke-WebRequest -Uri 'https://dot.net/v1/dotnet-install.ps1' -OutFile $script -UseBasicParsing }
    catch {
        Write-Error "Could not download the dotnet-install script (offline?). Install a .NET SDK $pinnedMajorMinor.${pinnedBand}xx or later yourself (https://dot.net), put it on PATH, and run ./build.ps1 again."
        exit 1
    }
    & $script -JSonFile (Join-Path $Root 'global.json') -InstallDir $LocalDotnetDir -NoPath
    $dotnet = Find-Dotnet
    if (-not $dotnet) { Write-Error 'The installed SDK does not satisfy global.json.'; exit 1 }
}
$env:DOTNET_ROOT = Split-Path $dotnet -Parent

function Test-BuildInputsChanged {
    if (-not (Test-Path $BuildStamp) -or -not (Test-Path (Join-Path $BuildOutput '_build.dll'))) { return $true }
    $stampTime = (Get-Item $BuildStamp).LastWriteTimeUtc
    $inputs = @('build', 'src/Slipway.Build', 'src/Slipway.Delivery', 'src/Slipway.Delivery.Core') | ForEach-Object {
        Get-ChildItem -Path (Join-Path $Root $_) -Recurse -File |
            Where-Object { $_.FullName -notmatch '[\\/](bin|obj|bench)[\\/]' }
    }
    $inputs += @('global.json', 'Directory.Build.props', 'Directory.Packages.props') | ForEach-Object { Get-Item (Join-Path $Root $_) }
    return [bool]($inputs | Where-Object { $_.LastWriteTimeUtc -gt $stampTime } | Select-Object -First 1)
}

if (Test-BuildInputsChanged) {
    New-Item -ItemType Directory -Force -Path $TempDir | Out-Null
    $next = "$BuildStamp.next"
    Set-Content -Path $next -Value ''
    Write-Host 'Compiling the build project...'
    & $dotnet build $BuildProject -c Debug -o $BuildOutput -nologo -v quiet -clp:NoSummary
    if ($LASTEXITCODE -ne 0) { Write-Error 'The build project failed to compile (see above).'; exit 1 }
    Move-Item -Force $next $BuildStamp
}

Set-Location $Root
& $dotnet (Join-Path $BuildOutput '_build.dll') --root $Root @args
exit $LASTEXITCODE
