using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Platform;

/// <summary>
/// The base image services are built on, pinned by digest in a file of the source tree (build/base-image.lock), so a
/// tag pushed over in a registry never changes what the next build is made of. Two lines, one per source:
/// <c>local: slipway/base@sha256:...</c> (the Debian base in the platform's registry, whatever its
/// address) and <c>upstream: mcr.microsoft.com/dotnet/runtime-deps@sha256:...</c>. <c>./build.sh UpdateBaseImageLock</c>
/// writes it from what Infrastructure provides; Containerize builds only on the digest it names.
/// </summary>
public sealed record BaseImageLock(string? Local, string? Upstream)
{
    const string Header = "# The base image services are built on, pinned by digest. Update: ./build.sh UpdateBaseImageLock, then commit this file.";

    public static BaseImageLock Read(string path)
    {
        if (!File.Exists(path))
            throw new BaseImageLockException($"{path} is missing: the base image must be pinned by digest. Run ./build.sh UpdateBaseImageLock and commit the file.");
        string? local = null, upstream = null;
        foreach (var line in File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var (key, value) = line.Split(':', 2) is [var k, var v] ? (k.Trim(), v.Trim()) : ("", "");
            if (!value.Contains("@sha256:", StringComparison.Ordinal))
                throw new BaseImageLockException($"{path}: '{line}' is not 'local: <repository>@sha256:<digest>' or 'upstream: <image>@sha256:<digest>'; run ./build.sh UpdateBaseImageLock.");
            switch (key)
            {
                case "local": local = value; break;
                case "upstream": upstream = value; break;
                default: throw new BaseImageLockException($"{path}: unknown key '{key}'; use local or upstream.");
            }
        }
        return new BaseImageLock(local, upstream);
    }

    /// <summary>This lock with <paramref name="provided"/> recorded for its source.</summary>
    public BaseImageLock With(BaseImageState provided) => provided.Source == BaseImageSource.Upstream
        ? this with { Upstream = provided.Reference.ToString() }
        : this with { Local = $"{provided.Reference.Repository}@{provided.Reference.Digest}" };

    public void Write(string path) =>
        File.WriteAllText(path, string.Join('\n', new[] { Header, Local is null ? null : $"local: {Local}", Upstream is null ? null : $"upstream: {Upstream}" }
            .OfType<string>()) + "\n");

    /// <summary>
    /// The base to build on: the locked digest of the source Infrastructure provided (in the platform's registry for the
    /// local base). A provided digest other than the locked one is an error naming both and the fix.
    /// </summary>
    public ImageReference Pin(BaseImageState provided, string lockPath)
    {
        var locked = provided.Source == BaseImageSource.Upstream ? Upstream : Local;
        if (locked is null)
            throw new BaseImageLockException($"{lockPath} pins no {(provided.Source == BaseImageSource.Upstream ? "upstream" : "local")} base image; " +
                                              "run ./build.sh UpdateBaseImageLock and commit the file.");
        var digest = Oci.ImageDigest.Of(locked).Value;
        if (provided.Reference.Digest != digest)
            throw new BaseImageLockException($"The base image provided now ({provided.Reference}) is not the one {lockPath} pins ({locked}). " +
                                              "If the change is intended (a new base), run ./build.sh UpdateBaseImageLock and commit the file; otherwise find who pushed over the base's tag.");
        return provided.Reference.WithoutTagOrDigest().WithDigest(digest);
    }
}

public sealed class BaseImageLockException(string message) : Exception(message);
