using Slipway.Delivery.GitHub;
using Slipway.Delivery.Tests.ConfigRepo;

namespace Slipway.Delivery.Tests.GitHub;

public sealed class GitHubRepositoryTests
{
    [Theory]
    [InlineData("https://github.com/acme/config")]
    [InlineData("https://github.com/acme/config.git")]
    [InlineData("https://github.com/acme/config/")]
    [InlineData("https://x-access-token:ghp_secret@github.com/acme/config.git")]
    [InlineData("git@github.com:acme/config.git")]
    [InlineData("git@github.com:acme/config")]
    [InlineData("ssh://git@github.com/acme/config.git")]
    [InlineData("https://GitHub.com/acme/config.git")]
    public void GitHub_URLs_name_owner_and_repository(string url)
    {
        Assert.True(GitHubRepository.TryParse(url, "github.com", out var repository, out var reason), reason);
        Assert.Equal(new GitHubRepository("acme", "config"), repository);
        Assert.Equal("acme/config", repository.ToString());
    }

    [Theory]
    [InlineData("https://gitlab.com/acme/config.git", "host gitlab.com is not github.com")]
    [InlineData("git@bitbucket.org:acme/config.git", "host bitbucket.org is not github.com")]
    [InlineData("/work/.nuke/platform/config.git", "not a remote Git URL")]
    [InlineData("file:///work/config.git", "not a remote Git URL")]
    [InlineData("https://github.com/acme/config/tree/main", "is not /owner/repository")]
    [InlineData("https://github.com/acme", "is not /owner/repository")]
    [InlineData("", "empty")]
    public void Other_URLs_are_not_GitHub_repositories_and_say_why(string url, string expected)
    {
        Assert.False(GitHubRepository.TryParse(url, "github.com", out var repository, out var reason));
        Assert.Null(repository);
        Assert.Contains(expected, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_Enterprise_host_is_matched_by_name()
    {
        Assert.True(GitHubRepository.TryParse("https://ghe.example.com/platform/config.git", "ghe.example.com", out var repository, out _));
        Assert.Equal(new GitHubRepository("platform", "config"), repository);
        Assert.False(GitHubRepository.TryParse("https://github.com/platform/config.git", "ghe.example.com", out _, out _));
    }

    [Fact]
    public void Credentials_in_a_URL_are_redacted_for_logs()
    {
        Assert.Equal("https://github.com/acme/config.git", Slipway.Delivery.Git.RemoteUrl.WithoutCredentials("https://x-access-token:ghp_secret@github.com/acme/config.git"));
        Assert.Equal("git@github.com:acme/config.git", Slipway.Delivery.Git.RemoteUrl.WithoutCredentials("git@github.com:acme/config.git"));
    }

    [Fact]
    public void A_config_repo_elsewhere_turns_the_GitHub_features_off_with_one_clear_line()
    {
        var log = new CollectingSink();
        var created = false;

        var delivery = GitHubDelivery.TryCreate("https://oauth2:glpat-secret@gitlab.com/acme/config.git", null,
            new GitHubOptions { Token = "ghp_x" }, log.Logger(), () => { created = true; throw new InvalidOperationException(); });

        Assert.Null(delivery);
        Assert.False(created);
        Assert.Contains("GitHub features are off: the config repo https://gitlab.com/acme/config.git is not a GitHub repository (its host gitlab.com is not github.com)",
            log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("glpat-secret", log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void No_token_turns_the_GitHub_features_off()
    {
        var log = new CollectingSink();

        Assert.Null(GitHubDelivery.TryCreate("https://github.com/acme/config.git", null, new GitHubOptions(), log.Logger()));
        Assert.Contains("no token was given", log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_source_repo_elsewhere_only_turns_commit_statuses_off()
    {
        var log = new CollectingSink();

        var delivery = GitHubDelivery.TryCreate("https://github.com/acme/config.git", "https://gitlab.com/acme/beacon.git",
            new GitHubOptions { Token = "ghp_x" }, log.Logger());

        Assert.NotNull(delivery);
        Assert.Equal(new GitHubRepository("acme", "config"), delivery.ConfigRepository);
        Assert.Null(delivery.SourceRepository);
        Assert.Contains("Commit statuses are off", log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_never_print_the_token()
    {
        var text = new GitHubOptions { Token = "ghp_SecretValue123" }.ToString();

        Assert.DoesNotContain("ghp_SecretValue123", text, StringComparison.Ordinal);
        Assert.Contains("Token = ***", text, StringComparison.Ordinal);
    }
}
