using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>A bare config repo with a working clone that commits rendered environments, as GitOpsCommit does.</summary>
sealed class TestConfigRepo
{
    readonly string clone;

    TestConfigRepo(string bare, string clone)
    {
        Bare = bare;
        this.clone = clone;
    }

    public string Bare { get; }

    public static async Task<TestConfigRepo> CreateAsync(string directory)
    {
        var bare = Path.Combine(directory, "config.git");
        var clone = Path.Combine(directory, "config-work");
        await Processes.RunAsync("git", ["init", "--quiet", "--bare", "--initial-branch=main", bare]);
        await Processes.RunAsync("git", ["clone", "--quiet", bare, clone]);
        await Git(clone, "config", "user.email", "tests@slipway.invalid");
        await Git(clone, "config", "user.name", "Slipway tests");
        await Git(clone, "checkout", "--quiet", "-b", "main");
        return new TestConfigRepo(bare, clone);
    }

    /// <summary>Renders Beacon for <paramref name="environment"/> from deploy/base with these settings and commits it; returns the commit.</summary>
    /// <param name="verification">The environment's image signature mode; audit unless a test drills the gate (the drills' images are unsigned).</param>
    public Task<string> CommitAsync(string environment, string image, int replicas, int hostPort, string audience = "tests", string? strategy = null,
                                    string verification = SlipwayMetadata.VerificationAudit) =>
        CommitFilesAsync(environment, Render(environment, image, replicas, hostPort, audience, strategy, verification).Files, $"Deploy {image} to {environment}");

    /// <summary>A deploy's commit message as GitOpsCommit writes it, with the trailers a rollback is located by.</summary>
    public static string DeployMessage(string environment, string image, string run) =>
        $"Deploy {image}\n\n" + string.Join('\n', new DeploymentTrailers(environment, image, new string('0', 40),
            new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero), run).ToLines());

    /// <summary>Publishes a public key in keys/&lt;name&gt;.pub, as Infrastructure does; returns the commit.</summary>
    public async Task<string> CommitPublicKeyAsync(string name, string publicKeyPem)
    {
        var folder = Path.Combine(clone, SlipwayMetadata.KeysFolder);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, name + ".pub"), publicKeyPem.Trim() + "\n");
        return await CommitAndPushAsync($"Trust {name}.pub");
    }

    public async Task<string> CommitFilesAsync(string environment, IReadOnlyDictionary<string, string> files, string message)
    {
        var folder = Path.Combine(clone, "environments", environment);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        foreach (var (name, text) in files) await File.WriteAllTextAsync(Path.Combine(folder, name), text);
        return await CommitAndPushAsync(message);
    }

    /// <param name="message">The commit message, with its trailers (e.g. "Slipway-Allow-Empty: true").</param>
    public async Task<string> RemoveEnvironmentAsync(string environment, string? message = null)
    {
        await Git(clone, "rm", "-r", "--quiet", $"environments/{environment}");
        return await CommitAndPushAsync(message ?? $"Remove {environment}");
    }

    public async Task<IReadOnlyDictionary<string, string>> FilesAsync(string environment) =>
        Directory.GetFiles(Path.Combine(clone, "environments", environment))
            .ToDictionary(f => Path.GetFileName(f), f => File.ReadAllText(f));

    async Task<string> CommitAndPushAsync(string message)
    {
        await Git(clone, "add", "-A");
        await Git(clone, "commit", "--quiet", "--allow-empty", "-m", message);
        await Git(clone, "push", "--quiet", "origin", "main");
        return (await Git(clone, "rev-parse", "HEAD")).Trim();
    }

    /// <summary>Renders Beacon for <paramref name="environment"/> with a whole settings file (deploy/environments/&lt;env&gt;.yaml) and commits it.</summary>
    public Task<string> CommitSettingsAsync(string environment, string image, string settingsYaml, string message) =>
        CommitFilesAsync(environment, RenderSettings(environment, image, settingsYaml).Files, message);

    /// <summary>The config repo's head commit: its message (with trailers) and the environment's deployment.yaml there.</summary>
    public async Task<(string Sha, string Message, string Deployment)> HeadAsync(string environment)
    {
        var sha = (await Processes.RunAsync("git", ["--git-dir", Bare, "rev-parse", "main"])).Trim();
        var message = await Processes.RunAsync("git", ["--git-dir", Bare, "log", "-1", "--format=%B", sha]);
        var deployment = await Processes.RunAsync("git", ["--git-dir", Bare, "show", $"{sha}:environments/{environment}/deployment.yaml"]);
        return (sha, message, deployment);
    }

    /// <summary>What GitOpsCommit would render: deploy/base plus a settings file for the environment.</summary>
    /// <param name="strategy">The settings' strategy block, indented by two spaces (default "  type: rolling").</param>
    public static RenderedEnvironment Render(string environment, string image, int replicas, int hostPort, string audience, string? strategy = null,
                                             string verification = SlipwayMetadata.VerificationAudit) =>
        RenderSettings(environment, image, $"""
            verification: {verification}
            replicas: {replicas}
            hostPort: {hostPort}
            strategy:
            {strategy ?? "  type: rolling"}
            image:
              container: beacon
              digestEnv: BEACON_IMAGE_DIGEST
            settings:
              Greeting:
                Audience: {audience}
            """);

    /// <remarks>Settings that name no verification mode get audit: the drills' Beacon images are unsigned (the gate has its own tests).</remarks>
    public static RenderedEnvironment RenderSettings(string environment, string image, string settingsYaml)
    {
        if (!settingsYaml.Split('\n').Any(line => line.StartsWith("verification:", StringComparison.Ordinal)))
            settingsYaml += $"\nverification: {SlipwayMetadata.VerificationAudit}\n";
        var deploy = Directory.CreateTempSubdirectory("slipway-agent-deploy-").FullName;
        try
        {
            var source = Path.Combine(Processes.RepositoryRoot(), "deploy", "base");
            Directory.CreateDirectory(Path.Combine(deploy, "base"));
            foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(deploy, "base", Path.GetFileName(file)));
            Directory.CreateDirectory(Path.Combine(deploy, "environments"));
            File.WriteAllText(Path.Combine(deploy, "environments", environment + ".yaml"), settingsYaml);
            return ManifestRenderer.Render(deploy, environment, image);
        }
        finally
        {
            Directory.Delete(deploy, recursive: true);
        }
    }

    static Task<string> Git(string directory, params string[] arguments) => Processes.RunAsync("git", arguments, directory);
}
