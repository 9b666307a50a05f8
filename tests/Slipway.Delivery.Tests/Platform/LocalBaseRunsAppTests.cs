using CliWrap;
using CliWrap.Buffered;
using Docker.DotNet;
using Docker.DotNet.Models;
using Slipway.Delivery.Docker;
using Slipway.Delivery.Platform;
using Slipway.Delivery.Registry;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>
/// The local base has no shell, so a tiny self-contained .NET app is the check: pulled into the real Docker engine
/// by digest, the app (bind-mounted) runs as the image's user and reports uid, home, trust store and time zones.
/// </summary>
[Trait("Tier", "Engine")]
[Collection(LocalBaseCollection.Name)]
public sealed class LocalBaseRunsAppTests(LocalBaseFixture fixture)
{
    const string ProbeProgram = """
        using System.Security.Cryptography.X509Certificates;
        var uid = File.ReadLines("/proc/self/status").First(line => line.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
        using var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine);
        store.Open(OpenFlags.ReadOnly);
        var home = Environment.GetEnvironmentVariable("HOME") ?? "";
        File.WriteAllText(Path.Combine(home, "probe.txt"), "writable");
        Console.WriteLine($"uid={uid}");
        Console.WriteLine($"home={home}");
        Console.WriteLine($"roots={store.Certificates.Count}");
        Console.WriteLine($"tz={TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris").Id}");
        Console.WriteLine($"tls={System.Security.Cryptography.SHA256.HashData([1, 2, 3]).Length}");
        """;

    const string ProbeProject = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <InvariantGlobalization>true</InvariantGlobalization>
            <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
            <SelfContained>true</SelfContained>
          </PropertyGroup>
        </Project>
        """;

    [Fact]
    public async Task The_local_base_runs_a_self_contained_app_as_the_non_root_app_user()
    {
        var ct = TestContext.Current.CancellationToken;
        using var work = new TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(work.Path, "probe.csproj"), ProbeProject, ct);
        await File.WriteAllTextAsync(Path.Combine(work.Path, "Program.cs"), ProbeProgram, ct);
        var app = Path.Combine(work.Path, "app");
        await Cli.Wrap("dotnet").WithArguments(["publish", "-c", "Release", "-o", app]).WithWorkingDirectory(work.Path)
                 .ExecuteBufferedAsync(ct);

        var image = fixture.ColdState.Reference;
        var byDigest = $"{image.Registry}/{image.Repository}@{image.Digest}";
        using var docker = await DockerEngine.ConnectAsync(cancellationToken: ct);
        string? containerId = null;
        try
        {
            var pullErrors = new List<string>();
            // The platform's registry asks for its credentials; the engine pulls with them as the agent does.
            var credentials = DockerConfigCredentials.Find(image.Registry, RegistryAuthFiles.Under(fixture.PlatformDirectory).DockerConfig);
            await docker.Images.CreateImageAsync(
                new ImagesCreateParameters { FromImage = $"{image.Registry}/{image.Repository}", Tag = image.Digest },
                credentials is null ? null : new AuthConfig { Username = credentials.Username, Password = credentials.Password, ServerAddress = image.Registry }, new Progress<JSONMessage>(message => { if (message.Error is { Message: { } text }) pullErrors.Add(text); }), ct);
            Assert.Empty(pullErrors);

            containerId = (await docker.Containers.CreateContainerAsync(new CreateContainerParameters
            {
                Name = $"slipway-platform-test-{Guid.NewGuid():N}",
                Image = byDigest,
                Entrypoint = ["/app/probe"],
                Labels = new Dictionary<string, string> { ["org.slipway.test"] = "platform" },
                HostConfig = new HostConfig { Binds = [$"{app}:/app:ro"], NetworkMode = "none" },
            }, ct)).ID;
            await docker.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), ct);
            var exit = await docker.Containers.WaitContainerAsync(containerId, ct);
            using var logs = await docker.Containers.GetContainerLogsAsync(containerId,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, ct);
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(ct);
            TestContext.Current.TestOutputHelper?.WriteLine(stdout + stderr);

            Assert.Equal(0, exit.StatusCode);
            Assert.Contains("uid=1654", stdout);
            Assert.Contains("home=/home/app", stdout);
            Assert.Contains("tz=Europe/Paris", stdout);
            var roots = int.Parse(stdout.Split('\n').Single(line => line.StartsWith("roots=", StringComparison.Ordinal))[6..]);
            Assert.True(roots > 100, $"expected the Mozilla roots from ca-certificates, found {roots}");
        }
        finally
        {
            if (containerId is not null)
                await docker.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
            try { await docker.Images.DeleteImageAsync(byDigest, new ImageDeleteParameters { Force = true }, CancellationToken.None); }
            catch (DockerImageNotFoundException) { }
        }
    }
}
