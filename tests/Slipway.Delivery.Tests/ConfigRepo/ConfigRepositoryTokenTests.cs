using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Git;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Tests.Manifests;

namespace Slipway.Delivery.Tests.ConfigRepo;

/// <summary>A config repo behind a real token-protected Git HTTP server: the token works, and is never stored or shown.</summary>
public sealed class ConfigRepositoryTokenTests : IAsyncLifetime
{
    private const string Token = "ghp_SlipwayTestToken1234567890abcdef";
    private readonly GitSandbox sandbox = new();
    private GitHttpServer server = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(sandbox.BareRepository);
        await GitSandbox.GitAsync(sandbox.BareRepository, "init", "-q", "--bare", "--initial-branch=main");
        server = await GitHttpServer.StartAsync(sandbox.Root, "x-access-token", Token);
    }

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        sandbox.Dispose();
    }

    private string Url => $"{server.BaseUrl}/config.git";

    [Fact]
    public async Task Pushes_with_the_token_without_storing_or_logging_it()
    {
        var repository = sandbox.Repository("work", Url, Token);
        var image = "127.0.0.1:5000/beacon@sha256:" + new string('c', 64);
        var rendered = ManifestRenderer.Render(DeployFolder.Repository, "staging", image);

        var result = await new GitOpsCommitter(repository, sandbox.Logs.Logger()).CommitEnvironmentAsync(
            rendered, new DeploymentTrailers("staging", image, "abc123", DateTimeOffset.UnixEpoch, "run-9"), TestContext.Current.CancellationToken);

        Assert.True(result.Changed);
        Assert.True(server.AuthorizedRequests > 0);
        Assert.Equal(result.Sha, (await GitSandbox.GitAsync(sandbox.BareRepository, "rev-parse", "main")).Trim());   // it reached the server
        var header = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"x-access-token:{Token}"));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(sandbox.Root, "work", ".git"), "*", SearchOption.TopDirectoryOnly))
        {
            var text = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
            Assert.DoesNotContain(Token, text);
            Assert.DoesNotContain(header[6..], text);
        }
        Assert.DoesNotContain("extraheader", (await File.ReadAllTextAsync(Path.Combine(sandbox.Root, "work", ".git", "config"), TestContext.Current.CancellationToken)).ToLowerInvariant());
        Assert.Contains("git push", sandbox.Logs.Text);
        Assert.DoesNotContain(Token, sandbox.Logs.Text);
        Assert.DoesNotContain(header[6..], sandbox.Logs.Text);
    }

    [Fact]
    public async Task A_wrong_token_fails_with_a_message_that_does_not_show_it()
    {
        const string wrong = "ghp_WrongToken0000000000000000000000";
        var repository = sandbox.Repository("work", Url, wrong);

        var exception = await Assert.ThrowsAsync<GitException>(() => repository.SyncAsync(TestContext.Current.CancellationToken));

        Assert.True(server.RefusedRequests > 0);
        Assert.Contains("git clone", exception.Message);
        Assert.DoesNotContain(wrong, exception.ToString());
        Assert.DoesNotContain(wrong, sandbox.Logs.Text);
    }

    [Fact]
    public async Task A_password_in_the_url_is_masked_in_errors()
    {
        var url = Url.Replace("http://", "http://x-access-token:ghp_InUrlSecret42@", StringComparison.Ordinal) + "-missing";
        var repository = sandbox.Repository("work", url);

        var exception = await Assert.ThrowsAsync<GitException>(() => repository.SyncAsync(TestContext.Current.CancellationToken));

        Assert.DoesNotContain("ghp_InUrlSecret42", exception.Message);
        Assert.DoesNotContain("ghp_InUrlSecret42", sandbox.Logs.Text);
        Assert.DoesNotContain("ghp_InUrlSecret42", repository.DisplayUrl);
    }
}
