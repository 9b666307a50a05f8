using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.SmokeTesting;

/// <summary>What the environment must report: the delivered version, the image digest and the configuration hash from Git.</summary>
/// <param name="Version">The service version (/version "version"); null skips that comparison.</param>
/// <param name="ImageDigest">sha256:... (a full repository@sha256:... reference is accepted too).</param>
/// <param name="ConfigHash"><see cref="Manifests.ConfigHash"/> of the environment's ConfigMap data in Git.</param>
public sealed record SmokeExpectations(string? Version, string ImageDigest, string ConfigHash)
{
    /// <summary>The expectations an environment folder of the config repo implies (image digest and config hash).</summary>
    public static SmokeExpectations FromManifests(EnvironmentManifests manifests, string? version)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        var image = ImageDigestReference.Parse(manifests.Image ?? "");
        return new SmokeExpectations(version, image.Digest, Manifests.ConfigHash.Compute(manifests.ConfigData));
    }

    public string Digest => Oci.ImageDigest.Of(ImageDigest).Value;
}

public sealed record SmokeTestOptions
{
    /// <summary>Name used in the report and the artifact file name (smoke-&lt;environment&gt;.json).</summary>
    public string Environment { get; init; } = "staging";

    /// <summary>How long the checks may keep failing before the smoke test fails (a rollout may still be converging).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Pause between rounds of checks.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Timeout of a single HTTP request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Folder for smoke-&lt;environment&gt;.json (e.g. .nuke/artifacts); none written when null.</summary>
    public string? ArtifactsDirectory { get; init; }

    /// <summary>The greeting endpoint that must answer 200.</summary>
    public string GreetingPath { get; init; } = "/api/greeting";
}
