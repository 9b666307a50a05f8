using System.Reflection;

namespace Beacon.Versioning;

/// <summary>What /version reports about the running build (the config hash is added per request).</summary>
/// <param name="Version">Semantic version, e.g. "1.2.3" or "1.2.3-alpha.0.5".</param>
/// <param name="Commit">Source commit the build came from, when known.</param>
/// <param name="BuildTime">When the build says it was made (the pipeline sets the commit time), when known.</param>
/// <param name="ImageDigest">Digest of the image running this process; only the platform knows it.</param>
public sealed record BuildInfo(string Version, string? Commit, string? BuildTime, string? ImageDigest)
{
    public const string VersionVariable = "BEACON_VERSION";
    public const string CommitVariable = "BEACON_COMMIT";
    public const string BuildTimeVariable = "BEACON_BUILD_TIME";
    public const string ImageDigestVariable = "BEACON_IMAGE_DIGEST";

    /// <summary>The assembly metadata attribute the build sets (-p:BuildTime=...).</summary>
    public const string BuildTimeMetadataKey = "BuildTime";

    /// <summary>Reads the assembly's attributes, then lets the environment override each field.</summary>
    public static BuildInfo FromAssembly(Assembly assembly, Func<string, string?> environment)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString(3)
            ?? "0.0.0";
        var buildTime = assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == BuildTimeMetadataKey)?.Value;
        return Resolve(informational, buildTime, environment);
    }

    /// <summary>
    /// Splits a MinVer-style informational version ("1.2.3+sha", "1.2.3-alpha.0.5+sha") at the first '+':
    /// the left part is the version, the build metadata after it the commit. Non-empty environment values win.
    /// </summary>
    public static BuildInfo Resolve(string informationalVersion, string? buildTimeMetadata, Func<string, string?> environment)
    {
        var plus = informationalVersion.IndexOf('+');
        var version = plus < 0 ? informationalVersion : informationalVersion[..plus];
        var commit = plus < 0 ? null : informationalVersion[(plus + 1)..];
        return new BuildInfo(
            Version: Override(VersionVariable) ?? version,
            Commit: Override(CommitVariable) ?? NullIfBlank(commit),
            BuildTime: Override(BuildTimeVariable) ?? NullIfBlank(buildTimeMetadata),
            ImageDigest: Override(ImageDigestVariable));

        string? Override(string name) => NullIfBlank(environment(name));
    }

    static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
