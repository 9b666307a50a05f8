using System.Text.Json;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Platform;

/// <summary>
/// Builds the local base image (<see cref="DebianBaseRecipe"/>) as an OCI image layout: one reproducible layer
/// from mmdebstrap, an image config whose every field derives from the recipe, deterministic gzip.
/// Two builds of the same recipe against the same mirror state give the same manifest digest.
/// </summary>
public sealed class LocalBaseImageBuilder(IPlatformHost host, AptInstaller apt, Serilog.ILogger log)
{
    const string MmdebstrapHint =
        "Install mmdebstrap (Debian/Ubuntu: 'sudo apt-get install mmdebstrap') and run as root, or use the default base image where it can be reached.";

    public static readonly IReadOnlyList<string> Environment =
    [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        // The same variables as Microsoft's runtime-deps image, so an app behaves the same on either base.
        $"APP_UID={DebianBaseRecipe.AppUid}",
        "ASPNETCORE_HTTP_PORTS=8080",
        "DOTNET_RUNNING_IN_CONTAINER=true",
        // No libicu in this base: apps must run with invariant globalization.
        "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true",
    ];

    /// <summary>Builds into <paramref name="layoutDirectory"/> (replaced when complete); a scratch directory beside it is removed afterwards.</summary>
    public async Task<OciImageLayout> BuildAsync(DebianBaseRecipe recipe, string layoutDirectory, CancellationToken cancellationToken)
    {
        if (!host.IsRoot)
            throw new PlatformSetupException($"Building the local base image needs root (mmdebstrap --mode=root). {MmdebstrapHint}");
        await apt.EnsureAsync("mmdebstrap", DebianRootfs.Mmdebstrap, MmdebstrapHint, cancellationToken);

        var scratch = Path.GetFullPath(layoutDirectory).TrimEnd('/') + ".build";
        if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        Directory.CreateDirectory(scratch);
        try
        {
            var rootfs = new DebianRootfs(host, log);
            var root = Path.Combine(scratch, "rootfs");
            var packages = await rootfs.CreateAsync(recipe, root, cancellationToken);
            var tar = Path.Combine(scratch, "layer.tar");
            await rootfs.WriteLayerAsync(recipe, root, tar, cancellationToken);
            var layer = await OciLayer.GzipDeterministicAsync(tar, Path.Combine(scratch, "layer.tar.gz"), cancellationToken);

            var config = Config(recipe, packages, layer.DiffId);
            var annotations = new Dictionary<string, string>
            {
                ["org.opencontainers.image.title"] = "slipway/base",
                ["org.opencontainers.image.description"] =
                    $"Minimal base for self-contained .NET apps, from Debian {recipe.Suite} packages (no shell, non-root user {DebianBaseRecipe.AppUser})",
                ["org.opencontainers.image.version"] = recipe.Tag,
                ["org.opencontainers.image.created"] = recipe.Created.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            };
            var image = await OciImageLayout.CreateAsync(layoutDirectory, config, [layer.Path], annotations, cancellationToken);
            log.Information("Built base image {Tag} ({Digest}): {Packages}", recipe.Tag, image.Manifest.Digest, string.Join(' ', packages));
            return image;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The OCI image config: every value from the recipe, written in a fixed order.</summary>
    static byte[] Config(DebianBaseRecipe recipe, IReadOnlyList<string> packages, string diffId)
    {
        var created = recipe.Created.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("created", created);
            json.WriteString("architecture", DebianBaseRecipe.Architecture);
            json.WriteString("os", "linux");
            json.WriteStartObject("config");
            json.WriteString("User", DebianBaseRecipe.AppUid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            json.WriteStartArray("Env");
            foreach (var variable in Environment) json.WriteStringValue(variable);
            json.WriteEndArray();
            json.WriteStartObject("Labels");
            json.WriteString("org.slipway.base.recipe", $"{DebianBaseRecipe.GeneratorVersion} {recipe.Tag}");
            json.WriteString("org.slipway.base.packages", string.Join(' ', packages));
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartObject("rootfs");
            json.WriteString("type", "layers");
            json.WriteStartArray("diff_ids");
            json.WriteStringValue(diffId);
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartArray("history");
            json.WriteStartObject();
            json.WriteString("created", created);
            json.WriteString("created_by",
                $"mmdebstrap --variant=extract --include={string.Join(',', recipe.Packages)} {recipe.Suite} ({DebianBaseRecipe.GeneratorVersion})");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
