using Beacon.Configuration;

namespace Beacon.Versioning;

public static class VersionEndpoints
{
    /// <summary>/version: the build, the image, and the hash of the configuration the process runs with.</summary>
    public static IEndpointRouteBuilder MapVersion(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/version", (BuildInfo build, ConfigDirectory config) =>
            Results.Json(
                new VersionAnswer(build.Version, build.Commit, build.BuildTime, build.ImageDigest, config.ComputeHash()),
                BeaconJsonContext.Default.VersionAnswer));
        return endpoints;
    }
}

public sealed record VersionAnswer(string Version, string? Commit, string? BuildTime, string? ImageDigest, string ConfigHash);
