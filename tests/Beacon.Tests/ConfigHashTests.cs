using System.Security.Cryptography;
using System.Text;
using Beacon.Configuration;
using Beacon.Tests.Support;

namespace Beacon.Tests;

public sealed class ConfigHashTests
{
    const string EmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>The contract, written out byte by byte here, independently of <see cref="ConfigHash"/>.</summary>
    static string Expected(params (string Name, string Content)[] filesInOrdinalOrder)
    {
        var bytes = new List<byte>();
        foreach (var (name, content) in filesInOrdinalOrder)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(name));
            bytes.Add(0);
            bytes.AddRange(Encoding.UTF8.GetBytes(content));
            bytes.Add(0);
        }
        return Convert.ToHexString(SHA256.HashData(bytes.ToArray())).ToLowerInvariant();
    }

    [Fact]
    public void Known_vector()
    {
        // From coreutils: printf 'a\0x\0b\0yz\0' | sha256sum
        const string Vector = "2613a6fdcfc5411287b453e8b149947156bacf80972939b667337a9e8c36e82e";

        var computed = ConfigHash.Compute([new("b", "yz"u8.ToArray()), new("a", "x"u8.ToArray())]);

        Assert.Equal(Vector, computed);
        Assert.Equal(Vector, Expected(("a", "x"), ("b", "yz")));
    }

    [Fact]
    public void Nothing_hashes_to_the_empty_sha256()
    {
        Assert.Equal(EmptyHash, ConfigHash.Compute([]));
        Assert.Equal(EmptyHash, new ConfigDirectory("/nonexistent/beacon-" + Guid.NewGuid()).ComputeHash());
        using var empty = new TempDirectory();
        using var directory = new ConfigDirectory(empty.Path);
        Assert.Equal(EmptyHash, directory.ComputeHash());
    }

    [Fact]
    public void Names_are_ordered_ordinally_not_culturally()
    {
        using var dir = new TempDirectory();
        dir.Write("b.txt", "lower");
        dir.Write("B.txt", "upper");
        dir.Write("a.txt", "first?");
        using var directory = new ConfigDirectory(dir.Path);

        // Ordinal: 'B' (0x42) sorts before 'a' (0x61).
        Assert.Equal(["B.txt", "a.txt", "b.txt"], directory.Keys());
        Assert.Equal(Expected(("B.txt", "upper"), ("a.txt", "first?"), ("b.txt", "lower")), directory.ComputeHash());
    }

    [Fact]
    public void Hidden_files_and_directories_are_not_keys_and_kubernetes_symlinks_are_followed()
    {
        // The layout kubelet writes for a ConfigMap volume.
        using var dir = new TempDirectory();
        var revision = Path.Combine(dir.Path, "..2026_11_28_10_00_00.000000001");
        Directory.CreateDirectory(revision);
        File.WriteAllText(Path.Combine(revision, "appsettings.json"), "{\"A\":1}");
        File.WriteAllText(Path.Combine(revision, "notes"), "héllo");
        File.CreateSymbolicLink(Path.Combine(dir.Path, "..data"), Path.GetFileName(revision));
        File.CreateSymbolicLink(Path.Combine(dir.Path, "appsettings.json"), "..data/appsettings.json");
        File.CreateSymbolicLink(Path.Combine(dir.Path, "notes"), "..data/notes");
        File.WriteAllText(Path.Combine(dir.Path, ".hidden"), "not a key");
        Directory.CreateDirectory(Path.Combine(dir.Path, "subdir"));
        using var directory = new ConfigDirectory(dir.Path);

        Assert.Equal(["appsettings.json", "notes"], directory.Keys());
        Assert.Equal(Expected(("appsettings.json", "{\"A\":1}"), ("notes", "héllo")), directory.ComputeHash());
    }

    [Fact]
    public async Task Version_reports_the_hash_and_follows_changes()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", "{}");
        dir.Write("greeting.txt", "hi");
        using var host = new BeaconHost(configDirectory: dir.Path);
        using var client = host.CreateClient();

        var before = (await client.GetJsonAsync("/version")).Str("configHash");
        dir.Write("greeting.txt", "hello");
        var after = (await client.GetJsonAsync("/version")).Str("configHash");
        File.Delete(Path.Combine(dir.Path, "greeting.txt"));
        var removed = (await client.GetJsonAsync("/version")).Str("configHash");

        Assert.Equal(Expected(("appsettings.json", "{}"), ("greeting.txt", "hi")), before);
        Assert.Equal(Expected(("appsettings.json", "{}"), ("greeting.txt", "hello")), after);
        Assert.Equal(Expected(("appsettings.json", "{}")), removed);
    }
}
