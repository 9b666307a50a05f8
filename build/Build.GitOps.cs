using Slipway.Build;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Images;
using Slipway.Delivery.Kubernetes;
using Slipway.Delivery.Kubernetes.GitOpsEngines;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Metrics;
using Slipway.Delivery.Promotion;
using Slipway.Delivery.SmokeTesting;

partial class Build
{
    [Parameter("Environment: staging or production (GitOpsCommit, Deploy and SmokeTest default to staging, Metrics to production)")]
    readonly string? Environment = null;

    string DeployEnvironment => Environment ?? "staging";

    [Parameter("Config repo: a Git URL or path (default: the embedded bare repo .nuke/platform/config.git)")]
    readonly string? ConfigRepo = null;

    [Parameter("Token for an HTTPS config repo (e.g. a GitHub token)"), Secret]
    readonly string? ConfigRepoToken = null;

    [Parameter("What kind of change GitOpsCommit and Promote deploy: one lowercase word; 'fix' marks an unplanned fix (DORA rework rate). Default: planned work")]
    readonly string? ChangeType = null;

    [Parameter("GitOpsCommit: the config commit of the deploy this one repairs (implies --change-type fix)")]
    readonly string? FixOf = null;

    [Parameter("How long Deploy waits for the agent to apply and report the environment healthy, in seconds")]
    readonly int DeployTimeoutSeconds = 300;

    [Parameter("How long SmokeTest retries before it fails, in seconds")]
    readonly int SmokeTimeoutSeconds = 60;

    AbsolutePath DeployDirectory => RootDirectory / "deploy";

    string? runId;

    /// <summary>This run's id in commit trailers and run records: the CI host's run id, else a local one.</summary>
    string RunId => runId ??= Host.RunId ?? $"local-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..6]}";

    ConfigRepository OpenConfigRepository()
    {
        var options = ConfigRepositoryOptions.Embedded(RootDirectory);
        return new ConfigRepository(options with { Url = ConfigRepo ?? options.Url, Token = ConfigRepoToken }, Log);
    }

    Target GitOpsCommit => _ => _
        .Description("Renders deploy/ for --environment with the image digest of image.json and commits it to the config repo")
        .DependsOn(Push)
        .Executes(async () =>
        {
            var image = await ImageManifestFile.ReadAsync(ImageFile, CancellationToken);
            await VerifyImageForAsync(DeployEnvironment, image.Reference);
            var trailers = new DeploymentTrailers(DeployEnvironment, image.Reference, image.Commit, image.ParsedCommitTime, RunId,
                ChangeType: ChangeType ?? (FixOf is null ? null : ChangeTrailers.Fix), FixOf: FixOf);
            var result = await new GitOpsCommitter(OpenConfigRepository(), Log)
                .RenderAndCommitAsync(DeployDirectory, trailers, CancellationToken);
            DeployedRevision = result.Sha;
            DeployedChanged = result.Changed;
            Log.Information(result.Changed
                ? "Committed {Environment} at {Revision} ({Attempts} push attempt(s))"
                : "{Environment} already at {Revision}: nothing to commit", DeployEnvironment, result.Sha, result.PushAttempts);
        });

    /// <summary>The config-repo revision GitOpsCommit left the environment at (Deploy waits for the agent to apply it).</summary>
    string? DeployedRevision;

    /// <summary>GitOpsCommit committed something new (an unchanged environment is not a deploy, on GitHub or in DORA).</summary>
    bool DeployedChanged;

    [Parameter("Deploy mode: pull (commit to Git; the agent, Flux or Argo CD applies) or push (apply to a Kubernetes cluster from here)")]
    readonly DeployMode Mode = DeployMode.Pull;

    [Parameter("What Deploy waits on in pull mode: slipway (the agent), flux (a Kustomization) or argocd (an Application)")]
    readonly string WaitFor = "slipway";

    [Parameter("Kubeconfig for push mode, or a read-only one for --wait-for flux|argocd (default: KUBECONFIG, ~/.kube/config)")]
    readonly string? Kubeconfig = null;

    [Parameter("Kubeconfig context for push mode and --wait-for flux|argocd (default: the current context)")]
    readonly string? KubeContext = null;

    Target Deploy => _ => _
        .Description("GitOpsCommit, then waits until the environment runs that revision healthy (agent, Flux or Argo CD; or --mode push)")
        .DependsOn(GitOpsCommit, Infrastructure)
        .Executes(() => TrackOnGitHubAsync(DeployEnvironment, DeployedRevision!, DeployedChanged, async () => { await DeployAndWaitAsync(); return true; }));

    /// <summary>Waits until the environment runs what GitOpsCommit committed (or applies it, in push mode).</summary>
    async Task DeployAndWaitAsync()
    {
        var timeout = TimeSpan.FromSeconds(DeployTimeoutSeconds);
        var connection = new KubernetesConnectionOptions(Kubeconfig, KubeContext);
        if (Mode == DeployMode.Push)
        {
            // Git stays the record (GitOpsCommit ran); this process applies what Git now holds, with the team's kubeconfig.
            var manifests = await OpenConfigRepository().ReadEnvironmentAsync(DeployEnvironment, DeployedRevision, CancellationToken)
                ?? throw new InvalidOperationException($"The config repo has no environment '{DeployEnvironment}' at {Short(DeployedRevision)}.");
            var deployer = KubernetesDeployer.Connect(connection, KubeconfigPolicy.ForBuild(DeployMode.Push), Log,
                new KubernetesDeployerOptions { RolloutTimeout = timeout });
            var result = await deployer.DeployAsync(manifests, CancellationToken);
            Log.Information("{Environment} rolled out {Image} to the cluster: {Rollout}", DeployEnvironment, result.Image, result.Rollout.Message);
            return;
        }

        var engine = GitOpsEngineNames.Parse(WaitFor);
        if (engine != GitOpsEngine.Slipway)
        {
            // Waiting reads status only: a read-only credential (deploy/kubernetes/ci-status-reader-rbac.yaml), never a deploy one.
            var client = new KubernetesConnection().CreateClient(connection, KubeconfigPolicy.ForEngineStatusReader());
            var (ns, name) = GitOpsEngineNames.DefaultObject(engine, DeployEnvironment);
            var status = engine == GitOpsEngine.Flux
                ? await new FluxKustomizationWaiter(client, Log).WaitAsync(ns, name, DeployedRevision!, timeout, CancellationToken)
                : await new ArgoCdApplicationWaiter(client, Log).WaitAsync(ns, name, DeployedRevision!, timeout, CancellationToken);
            Log.Information("{Engine} reports {Environment} at {Revision}: {Status}", engine, DeployEnvironment, Short(DeployedRevision), status);
            return;
        }

        if (Kubeconfig is not null)
        {
            KubeconfigPolicy.ForBuild(DeployMode.Pull).EnsureMayRead($"--kubeconfig {Kubeconfig}"); // pull mode holds no cluster credential
        }
        await WaitForAgentAsync(DeployEnvironment, DeployedRevision!, timeout);
    }

    /// <summary>Triggers the agent and waits until <paramref name="environment"/> runs <paramref name="revision"/> (or a later one containing it) healthy.</summary>
    async Task WaitForAgentAsync(string environment, string revision, TimeSpan timeout)
    {
        using var agent = OperatorAgentClient();
        await agent.RequestSyncAsync(CancellationToken); // no need to wait for the interval
        var lastReported = "";
        var configRepository = OpenConfigRepository();
        var status = await agent.WaitForEnvironmentAsync(environment, revision, timeout,
            new InlineProgress<EnvironmentStatus>(s =>
            {
                var line = $"{s.Health}: {s.ReplicasReady}/{s.ReplicasDesired} ready, applied {Short(s.AppliedRevision)}";
                if (line != lastReported)
                {
                    Log.Information("{Environment} {Progress:l}", environment, line);
                    lastReported = line;
                }
            }), CancellationToken,
            contains: (applied, token) => configRepository.ContainsAsync(applied, revision, token));
        Log.Information("{Environment} runs {Digest} at revision {Revision} on 127.0.0.1:{Port}",
            environment, status.ImageDigest, Short(status.AppliedRevision), status.Port);
    }

    static string Short(string? revision) => revision is null ? "none" : revision[..Math.Min(8, revision.Length)];

    /// <summary>Reports on the caller's thread, in order (System.Progress posts to the thread pool).</summary>
    sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    Target SmokeTest => _ => _
        .Description("Smoke-tests --environment on its stable port against what the config repo says it runs; a pass is promotion evidence")
        .After(Deploy)
        .Executes(() => SmokeTestEnvironmentAsync(DeployEnvironment));

    /// <summary>
    /// Smoke-tests <paramref name="environment"/> against the config repo's head; a pass is recorded as evidence that the
    /// digest passed there (.nuke/artifacts/smoke-evidence.jsonl), which Promote requires.
    /// </summary>
    async Task SmokeTestEnvironmentAsync(string environment)
    {
        var repository = OpenConfigRepository();
        var head = await repository.SyncAsync(CancellationToken);
        var manifests = await repository.ReadEnvironmentAsync(environment, head, CancellationToken)
            ?? throw new InvalidOperationException(
                $"The config repo has no environment '{environment}'. Deploy it first: ./build.sh Deploy --environment {environment}");
        var version = await ExpectedVersionAsync(manifests);
        var result = await Slipway.Delivery.SmokeTesting.SmokeTest.RunAsync(
            new Uri($"http://127.0.0.1:{manifests.HostPort}"),
            SmokeExpectations.FromManifests(manifests, version),
            new SmokeTestOptions
            {
                Environment = environment,
                Timeout = TimeSpan.FromSeconds(SmokeTimeoutSeconds),
                ArtifactsDirectory = ArtifactsDirectory,
            },
            Log, CancellationToken);
        LogRenderable(result.ToTable());
        if (!result.Passed)
        {
            throw new InvalidOperationException($"Smoke test of {environment} failed: {result.FailureSummary}");
        }
        await SmokeEvidenceFile.AppendAsync(ArtifactsDirectory,
            new SmokeEvidence(environment, manifests.Image!, head, DateTimeOffset.UtcNow, RunId), CancellationToken);
    }

    /// <summary>The version to expect: image.json's when it recorded the digest the environment runs, else unchecked.</summary>
    async Task<string?> ExpectedVersionAsync(EnvironmentManifests manifests)
    {
        if (!ImageFile.FileExists())
        {
            return null;
        }
        var image = await ImageManifestFile.ReadAsync(ImageFile, CancellationToken);
        return manifests.Image is { } running && running.EndsWith(image.Digest, StringComparison.Ordinal) ? image.Version : null;
    }
}
