using Slipway.Delivery.Oci;
using Slipway.Delivery.Platform;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>
/// The local base image's OCI layout kept between test runs, outside the temp folder, under its recipe tag (the suite
/// and the hash of every input: a changed package list, source or version is a new tag, so a new build). The tests'
/// platform directories are fresh temp directories; seeding one from here puts the layout where
/// <see cref="BaseImageProvider"/> looks for its own cache (.nuke/platform/base/&lt;tag&gt;), so it pushes the layout
/// instead of building a cold rootfs with mmdebstrap on every run.
/// The directory is $SLIPWAY_TEST_CACHE, else $XDG_CACHE_HOME/slipway-tests, else ~/.cache/slipway-tests.
/// </summary>
public static class LocalBaseCache
{
    public static string Location { get; } = Path.Combine(Root(), "local-base");

    static string Root() =>
        Environment.GetEnvironmentVariable("SLIPWAY_TEST_CACHE") is { Length: > 0 } configured ? configured
        : Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cacheHome ? Path.Combine(cacheHome, "slipway-tests")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "slipway-tests");

    static string CachedLayout(DebianBaseRecipe recipe) => Path.Combine(Location, recipe.Tag);

    static string PlatformLayout(DebianBaseRecipe recipe, string platformDirectory) =>
        Path.Combine(BaseImageProvider.CacheDirectoryUnder(platformDirectory), recipe.Tag);

    /// <summary>Copies the cached layout of <paramref name="recipe"/> into <paramref name="platformDirectory"/>; false when none is cached.</summary>
    public static bool Seed(DebianBaseRecipe recipe, string platformDirectory)
    {
        var cached = CachedLayout(recipe);
        if (!IsUsable(cached)) return false;
        CopyDirectory(cached, PlatformLayout(recipe, platformDirectory));
        return true;
    }

    /// <summary>Keeps the layout the provider left in <paramref name="platformDirectory"/>, unless one is cached already.</summary>
    public static void Keep(DebianBaseRecipe recipe, string platformDirectory)
    {
        var cached = CachedLayout(recipe);
        var built = PlatformLayout(recipe, platformDirectory);
        if (IsUsable(cached) || !IsUsable(built)) return;
        if (Directory.Exists(cached))
            Directory.Delete(cached, recursive: true); // unusable (a copy cut short by hand): replaced
        // Copied beside the target and renamed into place, so a concurrent reader never sees half a layout.
        var partial = $"{cached}.{Guid.NewGuid():N}.partial";
        CopyDirectory(built, partial);
        try
        {
            Directory.Move(partial, cached);
        }
        catch (IOException) when (Directory.Exists(cached))
        {
            Directory.Delete(partial, recursive: true); // another test kept the same layout first
        }
    }

    static bool IsUsable(string layout)
    {
        if (!Directory.Exists(layout)) return false;
        try
        {
            var image = OciImageLayout.Open(layout);
            return image.Blobs.Append(image.Manifest).All(blob => File.Exists(image.BlobPath(blob.Digest)));
        }
        catch (Exception exception) when (exception is InvalidOciLayoutException or IOException or InvalidOperationException)
        {
            return false;
        }
    }

    static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var directory in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)), overwrite: true);
    }
}
