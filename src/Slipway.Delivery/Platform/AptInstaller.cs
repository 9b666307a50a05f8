namespace Slipway.Delivery.Platform;

/// <summary>
/// Installs Debian packages the platform needs, only where that is possible and allowed: as root on an
/// apt-based system. Elsewhere it says what to install. One instance runs <c>apt-get update</c> at most once.
/// </summary>
public sealed class AptInstaller(IPlatformHost host, Serilog.ILogger log, bool allowInstall)
{
    public const string AptGet = "/usr/bin/apt-get";
    const string PolicyRcD = "/usr/sbin/policy-rc.d";

    bool _updated;

    /// <summary>True when packages can be installed here (root, apt-get present, installation allowed).</summary>
    public bool CanInstall => allowInstall && host.IsRoot && host.FileExists(AptGet);

    /// <summary>Why <see cref="CanInstall"/> is false, for error messages.</summary>
    public string WhyNotInstallable =>
        !allowInstall ? "automatic installation is turned off"
        : !host.IsRoot ? "automatic installation needs root (this build does not run as root)"
        : !host.FileExists(AptGet) ? $"automatic installation needs apt ({AptGet} not found: not a Debian/Ubuntu system)"
        : "installation is possible";

    /// <summary>
    /// Makes sure <paramref name="binary"/> exists, installing Debian package <paramref name="package"/> if needed.
    /// <paramref name="manualHint"/> tells a user what to do when we cannot install it ourselves.
    /// Returns true when it installed the package.
    /// </summary>
    public async Task<bool> EnsureAsync(string package, string binary, string manualHint, CancellationToken cancellationToken)
    {
        if (host.FileExists(binary))
            return false;
        if (!CanInstall)
            throw new PlatformSetupException(
                $"{binary} is missing and {WhyNotInstallable}. {manualHint}");

        var environment = new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        if (!_updated)
        {
            log.Information("Updating the apt package lists");
            await host.RunAsync(AptGet, ["update"], environment, cancellationToken);
            _updated = true;
        }

        log.Information("Installing {Package} with apt", package);
        // The platform starts its servers itself, detached and with its own configuration; a package's init
        // script must not start a second copy (docker-registry's would take port 5000 with /var/lib storage).
        // policy-rc.d answering 101 ("action forbidden") is Debian's documented way to say so.
        var addedPolicy = false;
        if (!host.FileExists(PolicyRcD))
        {
            await host.RunAsync("/bin/sh", ["-c", $"printf '#!/bin/sh\\nexit 101\\n' > {PolicyRcD} && chmod 755 {PolicyRcD}"], null, cancellationToken);
            addedPolicy = true;
        }
        try
        {
            await host.RunAsync(AptGet, ["install", "-y", "--no-install-recommends", package], environment, cancellationToken);
        }
        finally
        {
            if (addedPolicy)
                await host.RunAsync("rm", ["-f", PolicyRcD], null, CancellationToken.None);
        }

        if (!host.FileExists(binary))
            throw new PlatformSetupException($"apt installed {package} but {binary} is still missing. {manualHint}");
        return true;
    }
}

/// <summary>The platform cannot be brought up; the message says why and what to do.</summary>
public sealed class PlatformSetupException(string message, Exception? inner = null) : Exception(message, inner);
