using System.Security.Cryptography;
using System.Text;

namespace Slipway.Delivery.Platform;

/// <summary>
/// Everything that decides the local base image's bytes: the Debian suite and mirrors, the packages, the
/// generator version and the timestamp. Its hash is the image's tag, so the image is cached by its inputs.
/// </summary>
/// <remarks>
/// Packages: only what a self-contained .NET app needs. libc6, libgcc-s1, libstdc++6 (the runtime's native
/// code), libssl3 (TLS, crypto), zlib1g (compression), ca-certificates (TLS trust), tzdata (time zones), and
/// base-files (/etc/os-release, so scanners know the distribution). apt adds their hard dependencies
/// (gcc-12-base, openssl, debconf). No ICU: the image sets DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true, as apps
/// built by this pipeline use invariant globalization; no shell, no package manager.
/// </remarks>
public sealed record DebianBaseRecipe(string Suite, IReadOnlyList<string> Mirrors, IReadOnlyList<string> Packages)
{
    /// <summary>Bump when anything in how the base is built changes, so older cached bases are not reused.</summary>
    public const string GeneratorVersion = "slipway-debian-base/1";

    /// <summary>
    /// SOURCE_DATE_EPOCH (2025-01-01T00:00:00Z): every timestamp in the image (file mtimes, clamped; the config's
    /// created). A constant rather than the clock or the newest package date, so the same inputs give the same
    /// digest; package versions come from the mirror, so the same mirror state gives the same digest too.
    /// It is part of the input hash: changing it makes a new tag.
    /// </summary>
    public const long SourceDateEpoch = 1735689600;

    public static string SourceDateEpochText => SourceDateEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static readonly IReadOnlyList<string> DefaultPackages =
        ["base-files", "ca-certificates", "libc6", "libgcc-s1", "libssl3", "libstdc++6", "tzdata", "zlib1g"];

    public const int AppUid = 1654;
    public const string AppUser = "app";

    /// <summary>The recipe for this machine: its Debian release, its mirrors, the default packages.</summary>
    public static DebianBaseRecipe ForHost(string aptDirectory = "/etc/apt", string osRelease = "/etc/os-release")
    {
        var suite = AptSources.HostSuite(osRelease);
        return new DebianBaseRecipe(suite, AptSources.Read(suite, aptDirectory), DefaultPackages);
    }

    /// <summary>Hex sha256 of the inputs (order-independent for packages and mirrors).</summary>
    public string InputHash
    {
        get
        {
            var text = new StringBuilder()
                .Append("generator ").AppendLine(GeneratorVersion)
                .Append("source-date-epoch ").AppendLine(SourceDateEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append("suite ").AppendLine(Suite)
                .Append("architecture ").AppendLine(Architecture);
            foreach (var mirror in Mirrors.Order(StringComparer.Ordinal)) text.Append("mirror ").AppendLine(mirror);
            foreach (var package in Packages.Order(StringComparer.Ordinal)) text.Append("package ").AppendLine(package);
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        }
    }

    /// <summary>The tag in slipway/base: suite plus a short input hash, e.g. bookworm-3f2a9c1d0b7e.</summary>
    public string Tag => $"{Suite}-{InputHash[..12]}";

    /// <summary>The Debian (and OCI) architecture: the host's, as mmdebstrap builds natively.</summary>
    public static string Architecture => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        var other => throw new PlatformSetupException($"The local base image supports amd64 and arm64 hosts, not {other}."),
    };

    public DateTimeOffset Created => DateTimeOffset.FromUnixTimeSeconds(SourceDateEpoch);
}
