using Beacon.Tests.Support;
using Beacon.Versioning;

namespace Beacon.Tests;

public sealed class VersionTests
{
    static readonly Func<string, string?> NoEnvironment = _ => null;

    [Theory]
    [InlineData("1.2.3+0123abc", "1.2.3", "0123abc")]
    [InlineData("1.2.3-alpha.0.5+89fe001", "1.2.3-alpha.0.5", "89fe001")]
    [InlineData("1.2.3", "1.2.3", null)]
    [InlineData("2.0.0-rc.1+", "2.0.0-rc.1", null)]
    public void Informational_version_splits_at_the_first_plus(string informational, string version, string? commit)
    {
        var info = BuildInfo.Resolve(informational, null, NoEnvironment);

        Assert.Equal(version, info.Version);
        Assert.Equal(commit, info.Commit);
        Assert.Null(info.BuildTime);
        Assert.Null(info.ImageDigest);
    }

    [Fact]
    public void Build_time_comes_from_the_metadata()
    {
        var info = BuildInfo.Resolve("1.0.0+abc", "2026-01-02T03:04:05Z", NoEnvironment);

        Assert.Equal("2026-01-02T03:04:05Z", info.BuildTime);
    }

    [Fact]
    public void Environment_overrides_every_field_and_blank_values_do_not()
    {
        var environment = new Dictionary<string, string?>
        {
            ["BEACON_VERSION"] = "9.9.9",
            ["BEACON_COMMIT"] = "feedbeef",
            ["BEACON_BUILD_TIME"] = "2030-05-06T07:08:09Z",
            ["BEACON_IMAGE_DIGEST"] = "sha256:" + new string('a', 64),
        };

        var info = BuildInfo.Resolve("1.2.3+0123abc", "2026-01-02T03:04:05Z", name => environment.GetValueOrDefault(name));
        var blank = BuildInfo.Resolve("1.2.3+0123abc", null, name => name == "BEACON_VERSION" ? " " : null);

        Assert.Equal(new BuildInfo("9.9.9", "feedbeef", "2030-05-06T07:08:09Z", "sha256:" + new string('a', 64)), info);
        Assert.Equal("1.2.3", blank.Version);
    }

    [Fact]
    public void The_assembly_carries_an_informational_version()
    {
        var info = BuildInfo.FromAssembly(typeof(BuildInfo).Assembly, NoEnvironment);

        Assert.Matches(@"^\d+\.\d+\.\d+", info.Version);
        Assert.DoesNotContain("+", info.Version);
    }

    [Fact]
    public async Task Version_endpoint_reports_the_overrides_and_the_config_hash()
    {
        using var host = new BeaconHost(new Dictionary<string, string?>
        {
            ["BEACON_VERSION"] = "3.1.4-beta.2",
            ["BEACON_COMMIT"] = "abcdef0123456789",
            ["BEACON_BUILD_TIME"] = "2026-11-01T10:00:00Z",
            ["BEACON_IMAGE_DIGEST"] = "sha256:" + new string('b', 64),
        });
        using var client = host.CreateClient();

        var version = await client.GetJsonAsync("/version");

        Assert.Equal("3.1.4-beta.2", version.Str("version"));
        Assert.Equal("abcdef0123456789", version.Str("commit"));
        Assert.Equal("2026-11-01T10:00:00Z", version.Str("buildTime"));
        Assert.Equal("sha256:" + new string('b', 64), version.Str("imageDigest"));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", version.Str("configHash"));
    }

    [Fact]
    public async Task Version_endpoint_has_null_digest_and_build_time_when_unknown()
    {
        using var host = new BeaconHost();
        using var client = host.CreateClient();

        var version = await client.GetJsonAsync("/version");

        Assert.Null(version.Str("imageDigest"));
        Assert.Null(version.Str("buildTime")); // tests build without -p:BuildTime
        Assert.False(string.IsNullOrEmpty(version.Str("version")));
    }
}
