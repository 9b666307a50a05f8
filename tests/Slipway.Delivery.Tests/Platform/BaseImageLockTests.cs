using Slipway.Delivery.Oci;
using Slipway.Delivery.Platform;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>build/base-image.lock: the base is built on by the digest the file pins, and a different one is refused with the fix.</summary>
public sealed class BaseImageLockTests
{
    static readonly string Locked = "sha256:" + new string('a', 64);
    static readonly string Other = "sha256:" + new string('b', 64);

    static BaseImageState Local(string digest) =>
        new(new ImageReference("127.0.0.1:5000", "slipway/base", null, digest), BaseImageSource.LocalCached);

    [Fact]
    public void The_locked_digest_is_what_is_built_on_and_a_different_one_is_refused()
    {
        using var root = new TempDirectory();
        var path = Path.Combine(root.Path, "base-image.lock");
        new BaseImageLock(null, null).With(Local(Locked)).Write(path);

        Assert.Contains($"local: slipway/base@{Locked}", File.ReadAllText(path), StringComparison.Ordinal);
        var pinned = BaseImageLock.Read(path).Pin(Local(Locked), path);
        Assert.Equal($"127.0.0.1:5000/slipway/base@{Locked}", pinned.ToString());

        var error = Assert.Throws<BaseImageLockException>(() => BaseImageLock.Read(path).Pin(Local(Other), path));
        Assert.Contains(Other, error.Message, StringComparison.Ordinal);
        Assert.Contains(Locked, error.Message, StringComparison.Ordinal);
        Assert.Contains("./build.sh UpdateBaseImageLock", error.Message, StringComparison.Ordinal);
        Assert.Contains($"local: slipway/base@{Locked}", File.ReadAllText(path), StringComparison.Ordinal);   // the lock is untouched
    }

    [Fact]
    public void A_missing_lock_or_a_source_it_does_not_pin_or_a_tag_is_refused()
    {
        using var root = new TempDirectory();
        var path = Path.Combine(root.Path, "base-image.lock");
        Assert.Contains("UpdateBaseImageLock", Assert.Throws<BaseImageLockException>(() => BaseImageLock.Read(path)).Message, StringComparison.Ordinal);

        new BaseImageLock(null, null).With(Local(Locked)).Write(path);
        var upstream = new BaseImageState(new ImageReference("mcr.microsoft.com", "dotnet/runtime-deps", null, Locked), BaseImageSource.Upstream);
        Assert.Contains("pins no upstream base image", Assert.Throws<BaseImageLockException>(() => BaseImageLock.Read(path).Pin(upstream, path)).Message,
            StringComparison.Ordinal);

        File.WriteAllText(path, "local: slipway/base:bookworm\n");
        Assert.Contains("@sha256:", Assert.Throws<BaseImageLockException>(() => BaseImageLock.Read(path)).Message, StringComparison.Ordinal);
    }
}
