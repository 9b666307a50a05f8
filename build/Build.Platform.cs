using System.Security.Cryptography;
using Slipway.Build;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Platform;
using Slipway.Delivery.Platform.Supervision;

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
        // distribution checks no Host: on the platform it listens on a unix socket and the edge serves --registry.
        RegistryExposure = RegistryExposure.BehindEdge,
        BaseImage = BaseImage,
        Environment = EnvironmentVariables,
    };

    /// <summary>What Infrastructure found or brought up; later targets build on it.</summary>
    PlatformState? Platform;

    [Parameter("Port of the agent's status API and webhook on 127.0.0.1")]
    readonly int AgentPort = 8090;

    AbsolutePath PlatformDirectory => RootDirectory / ".nuke" / "platform";
    AbsolutePath AgentDirectory => PlatformDirectory / "agent";

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
        .Description("Brings up the embedded platform: Docker engine, local registry, base image, signing key, and under supervisord the edge and the agent (idempotent)")
        .Executes(async () =>
        {
            Platform = await EmbeddedPlatform.EnsureAsync(PlatformOptions, Log, CancellationToken);
            UsePlatformRegistryCredentials();
            await PublishSigningKeyAsync();
            // The agent's launcher reads its secrets from these files at each start: they exist before it does.
            AgentWebhookSecret();
            AgentOperatorToken();
            await PlatformServices().EnsureAsync(CancellationToken);
        });

    Target PlatformDown => _ => _
        .Description("Stops the agent, the edge and their supervisor for good, the environments' containers and the registry (their data and the config repo stay)")
        .Executes(async () =>
        {
            await PlatformServices().StopAsync(CancellationToken);
            var removed = await AgentProcess.RemoveContainersAsync(AgentInstance, Log, CancellationToken);
            Log.Information("Removed {Count} environment container(s)", removed);
            await EmbeddedPlatform.StopRegistryAsync(PlatformOptions, Log, CancellationToken);
        });

    const string AgentInstance = "slipway";

    /// <summary>The runtime identifier to compile ReadyToRun code for on this machine (as build.sh picks it); null elsewhere.</summary>
    static string? ReadyToRunIdentifier()
    {
        var os = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "osx" : null;
        var arch = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.X64 => "x64",
            System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
            _ => null,
        };
        return os is null || arch is null ? null : $"{os}-{arch}";
    }

    /// <summary>
    /// The edge (the environments' ports) and the agent under supervisord, each run from its own published copy: a copy
    /// published from other sources (a pull, an edit) is replaced — the agent by a restart that traffic never notices,
    /// the edge by a blue/green handover of its listening sockets.
    /// </summary>
    PlatformServices PlatformServices()
    {
        string[] sharedInputs = ["Directory.Build.props", "Directory.Packages.props", "global.json"];
        ProgramSource Published(string project, string[] sources, string[]? options = null) => new(SourceFingerprint.Of(RootDirectory, sources, sharedInputs),
            (output, _) => RunAsync("dotnet", ["publish", RootDirectory / "src" / project / $"{project}.csproj", "--configuration", "Release", "--output", output,
                ..options ?? [], "-nologo", "-v", "quiet"]));
        // The agent ReadyToRun for this machine: its first rollback after a restart (a crash, an upgrade) JITs less, at
        // about 13 s more per publish. Where no runtime identifier is known it is published as before.
        string[] agentOptions = ReadyToRunIdentifier() is { } rid ? ["--runtime", rid, "--self-contained", "false", "-p:PublishReadyToRun=true"] : [];
        var host = new SystemHost();
        return new PlatformServices(new PlatformServicesSettings
        {
            RootDirectory = RootDirectory,
            PlatformDirectory = PlatformDirectory,
            Edge = Published("Slipway.Edge", ["src/Slipway.Edge", "src/Slipway.Edge.Contract"]),
            Agent = Published("Slipway.Agent", ["src/Slipway.Agent", "src/Slipway.Delivery.Core", "src/Slipway.Edge.Contract"], agentOptions),
            AgentPort = AgentPort,
            RegistryFront = Registry,
            RegistrySocket = RegistryServer.SocketUnder(PlatformDirectory),
            AgentArguments = ["--instance", AgentInstance, "--allowed-registries", Registry],
            AgentSecretFiles = new Dictionary<string, string>
            {
                ["SLIPWAY_AGENT_WEBHOOK_SECRET"] = AgentWebhookSecretFile,
                ["SLIPWAY_AGENT_OPERATOR_TOKEN"] = AgentOperatorTokenFile,
            },
            AgentEnvironment = new Dictionary<string, string>
            {
                ["DOCKER_CONFIG"] = System.Environment.GetEnvironmentVariable("DOCKER_CONFIG") ?? RegistryAuth.DockerConfigDirectory,
            },
            Dotnet = System.Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet",
        }, new AptInstaller(host, Log, PlatformOptions.AllowInstall), host, Log);
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
