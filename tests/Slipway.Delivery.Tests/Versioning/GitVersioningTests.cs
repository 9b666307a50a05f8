using Slipway.Delivery.Versioning;

namespace Slipway.Delivery.Tests.Versioning;

public sealed class GitVersioningTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_tag_gives_zero_alpha_with_height_from_the_root()
    {
        await using var repo = await TempGitRepository.CreateAsync();
        await repo.CommitAsync("one");
        await repo.CommitAsync("two");
        var head = await repo.CommitAsync("three");

        var version = await GitVersioning.ReadAsync(repo.Directory, cancellationToken: Ct);

        Assert.Equal("0.0.0-alpha.0.2", version.Version);
        Assert.Equal(head, version.Commit);
        Assert.Equal(head[..7], version.ShortCommit);
        Assert.Null(version.Tag);
    }

    [Fact]
    public async Task On_a_tag_the_version_is_the_tag_and_the_commit_time_is_the_committers()
    {
        await using var repo = await TempGitRepository.CreateAsync();
        await repo.CommitAsync("one");
        var time = DateTimeOffset.Parse("2026-03-04T05:06:07+02:00", System.Globalization.CultureInfo.InvariantCulture);
        await repo.CommitAsync("two", time);
        await repo.TagAsync("v1.2.3", annotated: true);

        var version = await GitVersioning.ReadAsync(repo.Directory, cancellationToken: Ct);

        Assert.Equal("1.2.3", version.Version);
        Assert.Equal(0, version.Height);
        Assert.Equal("v1.2.3", version.Tag);
        Assert.Equal(time, version.CommitTime);
        Assert.Equal("2026-03-04T03:06:07Z", version.CommitTimeRfc3339);
        Assert.Equal(time.ToUnixTimeSeconds(), version.CommitTimeUnixSeconds);
    }

    [Fact]
    public async Task Above_a_tag_the_patch_is_bumped_with_the_height()
    {
        await using var repo = await TempGitRepository.CreateAsync();
        await repo.CommitAsync("one");
        await repo.TagAsync("1.4.0");
        await repo.CommitAsync("two");
        await repo.CommitAsync("three");
        await repo.CommitAsync("four");

        var version = await GitVersioning.ReadAsync(repo.Directory, cancellationToken: Ct);

        Assert.Equal("1.4.1-alpha.0.3", version.Version);
        Assert.Equal(3, version.Height);
    }

    [Fact]
    public async Task The_nearest_version_tag_wins_and_other_tags_are_ignored()
    {
        await using var repo = await TempGitRepository.CreateAsync();
        await repo.CommitAsync("one");
        await repo.TagAsync("v1.0.0");
        await repo.CommitAsync("two");
        await repo.TagAsync("v2.0.0-rc.1");
        await repo.CommitAsync("three");
        await repo.TagAsync("release-candidate");

        var version = await GitVersioning.ReadAsync(repo.Directory, cancellationToken: Ct);

        Assert.Equal("2.0.0-rc.1.1", version.Version);
        Assert.Equal("v2.0.0-rc.1", version.Tag);
    }

    [Fact]
    public async Task Tags_not_reachable_from_head_are_ignored()
    {
        await using var repo = await TempGitRepository.CreateAsync();
        await repo.CommitAsync("one");
        await repo.TagAsync("v0.1.0");
        await repo.GitAsync("checkout", "-q", "-b", "side");
        await repo.CommitAsync("side");
        await repo.TagAsync("v9.0.0");
        await repo.GitAsync("checkout", "-q", "main");
        await repo.CommitAsync("main");

        var version = await GitVersioning.ReadAsync(repo.Directory, cancellationToken: Ct);

        Assert.Equal("0.1.1-alpha.0.1", version.Version);
    }

    [Fact]
    public async Task A_directory_without_commits_gives_a_clear_error()
    {
        await using var repo = await TempGitRepository.CreateAsync();

        var error = await Assert.ThrowsAsync<VersioningException>(() => GitVersioning.ReadAsync(repo.Directory, cancellationToken: Ct));

        Assert.Contains("at least one commit", error.Message);
    }

    [Theory]
    [InlineData("v1.2.3", 0, "1.2.3")]
    [InlineData("1.2.3", 5, "1.2.4-alpha.0.5")]
    [InlineData("v1.2.3-beta.2", 2, "1.2.3-beta.2.2")]
    public void Version_above_a_tag_follows_minver(string tag, int height, string expected) =>
        Assert.Equal(expected, GitVersioning.VersionAbove(tag, height));

    [Fact]
    public void A_non_version_tag_is_refused_with_the_expected_shape() =>
        Assert.Contains("MAJOR.MINOR.PATCH", Assert.Throws<VersioningException>(() => GitVersioning.VersionAbove("release", 1)).Message);

    [Fact]
    public async Task The_source_url_is_the_origin_remote_without_credentials()
    {
        await using var repo = await TempGitRepository.CreateAsync();
        await repo.CommitAsync("one");
        Assert.StartsWith("file:///", await GitVersioning.ReadSourceUrlAsync(repo.Directory, Ct));

        await repo.GitAsync("remote", "add", "origin", "https://builder:s3cr3t-token@github.com/acme/slipway.git");
        var url = await GitVersioning.ReadSourceUrlAsync(repo.Directory, Ct);

        Assert.Equal("https://github.com/acme/slipway.git", url);
        Assert.DoesNotContain("s3cr3t", url);
    }

    [Theory]
    [InlineData("git@github.com:acme/slipway.git", "git@github.com:acme/slipway.git")]
    [InlineData("https://github.com/acme/slipway", "https://github.com/acme/slipway")]
    [InlineData("https://x-access-token:abc@github.com/acme/slipway", "https://github.com/acme/slipway")]
    public void Credentials_are_removed_from_urls(string url, string expected) =>
        Assert.Equal(expected, GitVersioning.WithoutCredentials(url));
}
