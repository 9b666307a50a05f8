using Slipway.Agent.Backends;
using Slipway.Agent.Backends.Docker;
using Slipway.Agent.Rollouts;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Tests.Fakes;

/// <summary>
/// The Docker backend wired to the fakes: <see cref="FakeContainerRuntime"/>, <see cref="FakeRouter"/>,
/// <see cref="FakeReplicaNetwork"/> and a <see cref="SteppedClock"/>, with its work directory (config files, rollout
/// records) in a temporary folder that disposal deletes. <see cref="Restart"/> is an agent restart: a new backend and
/// router (the agent's in-memory state and its routes are gone) over the same engine and work directory.
/// </summary>
public sealed class BackendOnFakes : IDisposable
{
    public const string Environment = "staging";
    public const int HostPort = 18081;
    public const string StableImage = "127.0.0.1:5000/beacon@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    public const string NewImage = "127.0.0.1:5000/beacon@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    readonly string directory = Directory.CreateTempSubdirectory("slipway-agent-fakes-").FullName;
    readonly HttpClient gateClient = new();
    DockerEnvironmentBackend backend;

    public BackendOnFakes(TimeSpan? drain = null, TimeSpan? readinessTimeout = null)
    {
        Clock = new SteppedClock();
        Runtime = new FakeContainerRuntime(Clock);
        Settings = new DockerBackendSettings("fake-agent", Path.Combine(directory, "config"), drain ?? TimeSpan.FromSeconds(2),
            readinessTimeout ?? TimeSpan.FromSeconds(30), Path.Combine(directory, "rollouts"));
        backend = Build();
    }

    public SteppedClock Clock { get; }
    public FakeContainerRuntime Runtime { get; }
    public FakeRouter Router { get; private set; } = null!;
    public FakeReplicaNetwork Network { get; private set; } = null!;
    public FakeRollbackCommitter Rollback { get; } = new();
    public DockerBackendSettings Settings { get; }
    public RolloutStore CanaryStore => new(Settings.RolloutsDirectory!);
    public IEnvironmentBackend Backend => backend;

    DockerEnvironmentBackend Build()
    {
        Router = new FakeRouter();
        Network = new FakeReplicaNetwork(Runtime, Router, Clock);
        var services = new RolloutServices(new GateRunner(gateClient, TestLogger.Create("gates")), Rollback,
            new RolloutStore(Path.Combine(directory, "rollouts", "blue-green")));
        return new DockerEnvironmentBackend(Runtime, Router, Network, Clock, Settings, TestLogger.Create("backend"), services);
    }

    public void Restart()
    {
        backend.Dispose();
        backend = Build();
    }

    /// <summary>Applies <paramref name="manifests"/> at <paramref name="revision"/> on fake time until the backend returns.</summary>
    public Task<BackendState> ApplyAsync(EnvironmentManifests manifests, string revision, IProgress<BackendState>? progress, CancellationToken cancellationToken) =>
        Clock.RunAsync(() => backend.ApplyAsync(manifests, revision, progress, cancellationToken));

    public Task<BackendState> ApplyAsync(EnvironmentManifests manifests, string revision) =>
        ApplyAsync(manifests, revision, null, TestContext.Current.CancellationToken);

    /// <summary>Beacon's rendered manifests with a strategy block (indented two spaces), as TestConfigRepo renders them.</summary>
    public static EnvironmentManifests Manifests(string image, int replicas, string? strategy = null) =>
        TestConfigRepo.Render(Environment, image, replicas, HostPort, "tests", strategy).Manifests;

    /// <summary>Beacon's manifests from a whole settings file (deploy/environments/&lt;env&gt;.yaml).</summary>
    public static EnvironmentManifests ManifestsFromSettings(string image, string settingsYaml) =>
        TestConfigRepo.RenderSettings(Environment, image, settingsYaml).Manifests;

    public void Dispose()
    {
        backend.Dispose();
        gateClient.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
