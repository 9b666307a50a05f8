using System.Text.Json;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.SmokeTesting;
using Slipway.Delivery.Tests.ConfigRepo;
using Slipway.Delivery.Tests.Manifests;
using Spectre.Console;

namespace Slipway.Delivery.Tests.SmokeTesting;

/// <summary>The smoke test against a real local HTTP service (Kestrel on 127.0.0.1), no mocks.</summary>
public sealed class SmokeTestTests : IAsyncLifetime
{
    private readonly string artifacts = Path.Combine(Path.GetTempPath(), "slipway-smoke-" + Guid.NewGuid().ToString("N"));
    private readonly CollectingSink logs = new();
    private ServiceStub service = null!;

    public async ValueTask InitializeAsync() => service = await ServiceStub.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await service.DisposeAsync();
        if (Directory.Exists(artifacts)) Directory.Delete(artifacts, recursive: true);
    }

    private SmokeExpectations Expected => new(service.Version, service.ImageDigest, service.ConfigHash);

    private SmokeTestOptions Options(double timeoutSeconds = 30) => new()
    {
        Environment = "staging",
        Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        RetryInterval = TimeSpan.FromMilliseconds(50),
        ArtifactsDirectory = artifacts,
    };

    private Task<SmokeTestResult> RunAsync(SmokeExpectations expected, SmokeTestOptions options) =>
        SmokeTest.RunAsync(service.BaseUrl, expected, options, logs.Logger(), TestContext.Current.CancellationToken);

    [Fact]
    public async Task Passes_when_the_service_reports_what_git_says()
    {
        var result = await RunAsync(Expected with { ImageDigest = "127.0.0.1:5000/beacon@" + service.ImageDigest }, Options());

        Assert.True(result.Passed, result.FailureSummary);
        Assert.Equal(1, result.Rounds);
        Assert.Equal(["liveness /healthz", "readiness /readyz", "version", "image digest", "config hash", "greeting /api/greeting"],
            result.Checks.Select(check => check.Name));

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(artifacts, "smoke-staging.json"), TestContext.Current.CancellationToken));
        Assert.True(json.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal(6, json.RootElement.GetProperty("checks").GetArrayLength());

        var output = new StringWriter();
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No }).Write(result.ToTable());
        Assert.Contains("config hash", output.ToString());
        Assert.Contains("passed after 1 round(s)", output.ToString());
    }

    [Fact]
    public async Task Retries_until_the_service_is_ready()
    {
        service.NotReadyFor = 3;

        var result = await RunAsync(Expected, Options());

        Assert.True(result.Passed, result.FailureSummary);
        Assert.Equal(4, result.Rounds);
        Assert.Contains("readiness /readyz 503", logs.Text);
    }

    [Theory]
    [InlineData("version")]
    [InlineData("image digest")]
    [InlineData("config hash")]
    public async Task Fails_when_the_service_reports_something_else(string check)
    {
        var expected = check switch
        {
            "version" => Expected with { Version = "9.9.9" },
            "image digest" => Expected with { ImageDigest = "sha256:" + new string('b', 64) },
            _ => Expected with { ConfigHash = new string('d', 64) },
        };

        var result = await RunAsync(expected, Options(timeoutSeconds: 0.5));

        Assert.False(result.Passed);
        Assert.True(result.Rounds > 1);
        var failed = Assert.Single(result.Checks, candidate => !candidate.Passed);
        Assert.Equal(check, failed.Name);
        Assert.Contains($"{check}: expected", result.FailureSummary);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(artifacts, "smoke-staging.json"), TestContext.Current.CancellationToken));
        Assert.False(json.RootElement.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task Fails_when_the_greeting_errors()
    {
        service.GreetingStatus = 500;

        var result = await RunAsync(Expected, Options(timeoutSeconds: 0.3));

        Assert.False(result.Passed);
        Assert.Equal("500", Assert.Single(result.Checks, check => !check.Passed).Actual);
    }

    [Fact]
    public async Task Fails_when_nothing_listens()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await SmokeTest.RunAsync(new Uri($"http://127.0.0.1:{port}"), Expected, Options(timeoutSeconds: 0.3), logs.Logger(),
            TestContext.Current.CancellationToken);

        Assert.False(result.Passed);
        Assert.All(result.Checks, check => Assert.StartsWith("unreachable", check.Actual));
    }

    [Fact]
    public void Expectations_come_from_the_environment_in_git()
    {
        var manifests = ManifestRenderer.Render(DeployFolder.Repository, "staging", DeployFolder.Image).Manifests;

        var expected = SmokeExpectations.FromManifests(manifests, "1.2.3");

        Assert.Equal(DeployFolder.Digest, expected.Digest);
        Assert.Equal(ConfigHash.Compute(manifests.ConfigData), expected.ConfigHash);
        Assert.Equal(manifests.ConfigMap.Metadata.Annotations[SlipwayMetadata.ConfigHashAnnotation], expected.ConfigHash);
    }
}
