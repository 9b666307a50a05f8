using System.Security.Cryptography;
using Slipway.Build;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Platform;

partial class Build
{
    [Parameter("host:port of the local OCI registry the embedded platform serves (loopback only)")]
    readonly string Registry = PlatformOptions.DefaultRegistryAddress;

    [Parameter("Base image: default (the standard .NET runtime-deps image, or the local Debian base when unreachable) or local")]
    readonly BaseImageMode BaseImage = BaseImageMode.Default;

    PlatformOptions PlatformOptions => new()
    {
        RootDirectory = RootDirectory,
        RegistryAddress = Registry,
        BaseImage = BaseImage,
        Environment = EnvironmentVariables,
    };

    /// <summary>What Infrastructure found or brought up; later targets build on it.</summary>
    PlatformState? Platform;

    [Parameter("Port of the agent's status API and webhook on 127.0.0.1")]
    readonly int AgentPort = 8090;

    AbsolutePath PlatformDirectory => RootDirectory / ".nuke" / "platform";
    AbsolutePath AgentDirectory => PlatformDirectory / "agent";
    AbsolutePath AgentPidFile => AgentDirectory / "agent.pid";
    AbsolutePath AgentBinaries => PlatformDirectory / "agent-bin";

    /// <summary>The HMAC secret of the agent's webhook: made once per platform, kept beside it (mode 600), never logged.</summary>
    AbsolutePath AgentWebhookSecretFile => AgentDirectory / "webhook-secret";

    /// <summary>The embedded registry's credentials as a standard Docker config.json (made by Infrastructure, mode 600).</summary>
    RegistryAuthFiles RegistryAuth => RegistryAuthFiles.Under(PlatformDirectory);

    /// <summary>
    /// Points DOCKER_CONFIG at the platform's config.json (unless the caller set one), so this build's registry client,
    /// the SDK's container tooling it runs and the agent it starts all authenticate to the embedded registry.
    /// </summary>
    void UsePlatformRegistryCredentials()
    {
        if (string.IsNullOrEmpty(EnvironmentVariables.GetValueOrDefault("DOCKER_CONFIG")) && File.Exists(RegistryAuth.DockerConfig))
        {
            System.Environment.SetEnvironmentVariable("DOCKER_CONFIG", RegistryAuth.DockerConfigDirectory);
        }
    }

    /// <summary>The agent's operator token, for its state-changing routes (POST /sync): made once, mode 600, never logged.</summary>
    AbsolutePath AgentOperatorTokenFile => AgentDirectory / "operator-token";

    Target Infrastructure => _ => _
        .Description("Brings up the embedded platform: Docker engine, local registry, base image, signing key, agent (idempotent)")
        .Executes(async () =>
        {
            Platform = await EmbeddedPlatform.EnsureAsync(PlatformOptions, Log, CancellationToken);
            UsePlatformRegistryCredentials();
            await PublishSigningKeyAsync();
            await EnsureAgentAsync();
        });

    Target PlatformDown => _ => _
        .Description("Stops the agent, the environments' containers and the registry (their data and the config repo stay)")
        .Executes(async () =>
        {
            await AgentProcess.StopAsync(AgentPidFile, Log, cancellationToken: CancellationToken);
            var removed = await AgentProcess.RemoveContainersAsync(AgentInstance, Log, CancellationToken);
            Log.Information("Removed {Count} environment container(s)", removed);
            await EmbeddedPlatform.StopRegistryAsync(PlatformOptions, Log, CancellationToken);
        });

    const string AgentInstance = "slipway";

    /// <summary>
    /// Starts the agent unless one answers. It runs from its own published copy, so rebuilding the solution never
    /// replaces the files of a running agent. A running agent published from other sources (a pull, an edit) is stopped
    /// and started again from this checkout's: its state lives in Git and in its containers' labels, so it picks the
    /// environments up where they are.
    /// </summary>
    async Task EnsureAgentAsync()
    {
        var sources = SourceFingerprint.Of(RootDirectory, ["src/Slipway.Agent", "src/Slipway.Delivery"],
            ["Directory.Build.props", "Directory.Packages.props", "global.json"]);
        var publishedFrom = AgentBinaries / "source-fingerprint";
        var published = publishedFrom.FileExists() ? (await File.ReadAllTextAsync(publishedFrom, CancellationToken)).Trim() : null;
        using var client = AgentClient.ForPort(AgentPort);
        var running = await client.IsRunningAsync(CancellationToken);
        if (running && published == sources)
        {
            Log.Information("Agent already running on 127.0.0.1:{Port}", AgentPort);
            return;
        }
        if (running && !AgentPidFile.FileExists())
        {
            Log.Warning("An agent answers on 127.0.0.1:{Port} that this checkout did not start (no {PidFile}): reusing it as it is", AgentPort, AgentPidFile);
            return;
        }
        // Publish beside the running copy (overwriting a running agent's assemblies could crash it), then swap, so the
        // environments' ports pause only for the restart itself.
        var next = PlatformDirectory / "agent-bin.next";
        next.DeleteDirectory();
        await RunAsync("dotnet", ["publish", RootDirectory / "src" / "Slipway.Agent" / "Slipway.Agent.csproj",
            "--configuration", "Release", "--output", next, "-nologo", "-v", "quiet"]);
        await File.WriteAllTextAsync(next / "source-fingerprint", sources + "\n", CancellationToken);
        if (running)
        {
            Log.Warning("The running agent was published from other sources than this checkout's: restarting it from this build " +
                        "(the environments' ports pause while it restarts; their containers keep running)");
            await AgentProcess.StopAsync(AgentPidFile, Log, cancellationToken: CancellationToken);
        }
        AgentBinaries.DeleteDirectory();
        Directory.Move(next, AgentBinaries);
        await AgentProcess.EnsureRunningAsync(new AgentLaunchSettings
        {
            AgentPath = AgentBinaries / "Slipway.Agent.dll",
            LogFile = PlatformDirectory / "agent.log",
            PidFile = AgentPidFile,
            ApiPort = AgentPort,
            Arguments = ["--root", RootDirectory, "--instance", AgentInstance, "--allowed-registries", Registry],
            Environment = new Dictionary<string, string>
            {
                ["SLIPWAY_AGENT_WEBHOOK_SECRET"] = AgentWebhookSecret(),
                ["SLIPWAY_AGENT_OPERATOR_TOKEN"] = AgentOperatorToken(),
                ["DOCKER_CONFIG"] = System.Environment.GetEnvironmentVariable("DOCKER_CONFIG") ?? RegistryAuth.DockerConfigDirectory,
            },
        }, Log, CancellationToken);
    }

    string AgentWebhookSecret() => PlatformSecret(AgentWebhookSecretFile);

    string AgentOperatorToken() => PlatformSecret(AgentOperatorTokenFile);

    /// <summary>A client of the local agent that may call its state-changing routes.</summary>
    AgentClient OperatorAgentClient() => AgentClient.ForPort(AgentPort, AgentOperatorToken());

    /// <summary>A random secret made once per platform and kept in <paramref name="file"/> (mode 600).</summary>
    static string PlatformSecret(AbsolutePath file)
    {
        if (!file.FileExists())
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        return File.ReadAllText(file).Trim();
    }
}
