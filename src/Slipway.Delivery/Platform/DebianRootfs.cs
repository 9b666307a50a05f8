using System.Runtime.Versioning;
using System.Text;

namespace Slipway.Delivery.Platform;

/// <summary>
/// Builds the local base's root filesystem from Debian packages with mmdebstrap and writes it as one
/// reproducible layer tar: same recipe and mirror state, same bytes.
/// </summary>
public sealed class DebianRootfs(IPlatformHost host, Serilog.ILogger log)
{
    public const string Mmdebstrap = "/usr/bin/mmdebstrap";
    public const string Tar = "/usr/bin/tar";

    /// <summary>
    /// Extracts the recipe's packages into <paramref name="rootDirectory"/> (must not exist or be empty), shapes it
    /// into a container root filesystem and returns the packages installed (name=version, sorted).
    /// </summary>
    public async Task<IReadOnlyList<string>> CreateAsync(DebianBaseRecipe recipe, string rootDirectory, CancellationToken cancellationToken)
    {
        var epoch = DebianBaseRecipe.SourceDateEpochText;
        // extract: unpack the packages without running maintainer scripts: no dpkg, shell or apt needed inside,
        // and nothing host-specific runs. The extract hook records each package's control data the way
        // distroless images do (var/lib/dpkg/status.d/<package>), so image scanners can list the packages.
        const string recordPackages =
            "mkdir -p \"$1/var/lib/dpkg/status.d\" && for deb in \"$1\"/var/cache/apt/archives/*.deb; do " +
            "package=$(dpkg-deb --field \"$deb\" Package) && dpkg-deb --field \"$deb\" > \"$1/var/lib/dpkg/status.d/$package\" || exit 1; done";
        var arguments = new List<string>
        {
            "--mode=root", "--variant=extract", "--format=directory", "--quiet",
            "--include=" + string.Join(',', recipe.Packages),
            "--extract-hook=" + recordPackages,
            recipe.Suite, rootDirectory,
        };
        arguments.AddRange(recipe.Mirrors);
        log.Information("Building the base root filesystem from Debian {Suite}: {Packages}", recipe.Suite, string.Join(' ', recipe.Packages));
        await host.RunAsync(Mmdebstrap, arguments, new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = epoch }, cancellationToken);

        Shape(rootDirectory);
        return InstalledPackages(rootDirectory);
    }

    /// <summary>
    /// Writes the root filesystem as a tar that depends only on its content: entries sorted by name, numeric
    /// owners without names, mtimes clamped to SOURCE_DATE_EPOCH, no xattrs/ACLs (GNU tar's reproducible-builds recipe).
    /// </summary>
    public Task WriteLayerAsync(DebianBaseRecipe recipe, string rootDirectory, string tarPath, CancellationToken cancellationToken) =>
        host.RunAsync(Tar,
        [
            "--create", "--file", tarPath, "--directory", rootDirectory,
            "--format=gnu", "--sort=name", "--numeric-owner", "--no-acls", "--no-xattrs", "--no-selinux",
            "--mtime=@" + DebianBaseRecipe.SourceDateEpochText, "--clamp-mtime", ".",
        ], new Dictionary<string, string?> { ["LC_ALL"] = "C" }, cancellationToken);

    /// <summary>Removes what a container must not carry or that differs between runs; adds the user, trust store and name service config.</summary>
    static void Shape(string root)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("The local base image is built on Linux (mmdebstrap).");
        string At(string relative) => Path.Combine(root, relative);

        // Devices come from the container runtime; host copies and apt/dpkg state are not reproducible or not needed.
        foreach (var entry in Directory.EnumerateFileSystemEntries(At("dev"))) Delete(entry);
        foreach (var path in new[]
                 {
                     "etc/resolv.conf", "etc/hostname", "etc/machine-id", "etc/fstab", "etc/apt", "etc/dpkg",
                     "var/cache/apt", "var/lib/apt", "var/cache/ldconfig/aux-cache", "var/cache/debconf",
                     "var/lib/dpkg/status", "var/lib/dpkg/arch", "var/lib/dpkg/alternatives", "var/lib/dpkg/info",
                     "var/lib/dpkg/triggers", "var/lib/dpkg/updates", "var/lib/dpkg/available",
                 })
            Delete(At(path));
        if (Directory.Exists(At("var/log")))
            foreach (var entry in Directory.EnumerateFileSystemEntries(At("var/log"))) Delete(entry);

        // Users: root, nobody and the non-root "app" (uid/gid 1654, as in Microsoft's .NET images). No login shell exists.
        Directory.CreateDirectory(At("etc"));
        WriteFile(At("etc/passwd"),
            "root:x:0:0:root:/root:/usr/sbin/nologin\n" +
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" +
            $"{DebianBaseRecipe.AppUser}:x:{DebianBaseRecipe.AppUid}:{DebianBaseRecipe.AppUid}::/home/{DebianBaseRecipe.AppUser}:/usr/sbin/nologin\n");
        WriteFile(At("etc/group"), $"root:x:0:\nnogroup:x:65534:\n{DebianBaseRecipe.AppUser}:x:{DebianBaseRecipe.AppUid}:\n");
        WriteFile(At("etc/nsswitch.conf"), "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n");
        MakeDirectory(At("root"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, 0);
        MakeDirectory(At("home"), DirectoryMode, 0);
        MakeDirectory(At($"home/{DebianBaseRecipe.AppUser}"), DirectoryMode, DebianBaseRecipe.AppUid);
        MakeDirectory(At("tmp"), DirectoryMode | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.StickyBit, 0);

        // update-ca-certificates did not run (no maintainer scripts): the bundle is every certificate the package
        // ships, in a fixed order. OpenSSL (and so .NET) reads it through /usr/lib/ssl/cert.pem.
        var certificates = At("usr/share/ca-certificates");
        if (Directory.Exists(certificates))
        {
            var bundle = new StringBuilder();
            foreach (var file in Directory.EnumerateFiles(certificates, "*.crt", SearchOption.AllDirectories)
                                          .Order(StringComparer.Ordinal))
            {
                var pem = File.ReadAllText(file);
                bundle.Append(pem.EndsWith('\n') ? pem : pem + "\n");
            }
            Directory.CreateDirectory(At("etc/ssl/certs"));
            WriteFile(At("etc/ssl/certs/ca-certificates.crt"), bundle.ToString());
        }
    }

    const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                       UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
                                       UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    [UnsupportedOSPlatform("windows")]
    static void MakeDirectory(string path, UnixFileMode mode, int owner)
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, mode);
        if (owner != 0)
            Chown(path, owner);
    }

    static void Chown(string path, int id)
    {
        // .NET has no chown; the tar records numeric owners, so the on-disk owner must be right.
        using var process = System.Diagnostics.Process.Start("chown", [$"{id}:{id}", path]);
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new PlatformSetupException($"chown {id}:{id} {path} failed (exit {process.ExitCode}).");
    }

    [UnsupportedOSPlatform("windows")]
    static void WriteFile(string path, string content)
    {
        File.WriteAllText(path, content, new UTF8Encoding(false));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    static void Delete(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null && Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else if (info.Exists || info.LinkTarget is not null) File.Delete(path);
    }

    static IReadOnlyList<string> InstalledPackages(string root)
    {
        var statusDirectory = Path.Combine(root, "var/lib/dpkg/status.d");
        var packages = new List<string>();
        foreach (var file in Directory.EnumerateFiles(statusDirectory).Order(StringComparer.Ordinal))
        {
            string? name = null, version = null;
            foreach (var line in File.ReadLines(file))
            {
                if (line.StartsWith("Package: ", StringComparison.Ordinal)) name = line[9..].Trim();
                else if (line.StartsWith("Version: ", StringComparison.Ordinal)) version = line[9..].Trim();
            }
            if (name is not null && version is not null) packages.Add($"{name}={version}");
        }
        return packages;
    }
}
