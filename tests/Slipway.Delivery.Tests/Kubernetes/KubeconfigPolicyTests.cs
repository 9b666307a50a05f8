using Serilog;
using Slipway.Delivery.Kubernetes;

namespace Slipway.Delivery.Tests.Kubernetes;

/// <summary>Pull-model security: the build never reads a cluster credential unless push mode is chosen explicitly.</summary>
public sealed class KubeconfigPolicyTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("slipway-home-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public void In_pull_mode_a_deployer_from_an_explicit_kubeconfig_is_refused_before_the_file_is_read()
    {
        // The file does not even exist: the refusal comes first, so nothing was read.
        var missing = Path.Combine(_home, "no-such-kubeconfig");

        var refusal = Assert.Throws<KubeconfigPolicyException>(() =>
            KubernetesDeployer.Connect(new KubernetesConnectionOptions(KubeconfigPath: missing), KubeconfigPolicy.ForBuild(DeployMode.Pull), Logger(),
                resolver: Connection()));

        Assert.Contains($"refuses to read a cluster credential (kubeconfig {missing})", refusal.Message);
        Assert.Contains("Deploy --mode push", refusal.Message);
    }

    [Fact]
    public void In_pull_mode_KUBECONFIG_and_the_default_kubeconfig_are_refused_too()
    {
        var kubeconfig = WriteKubeconfig(Path.Combine(_home, "from-env"), "http://127.0.0.1:1");
        var fromEnvironment = Connection(("KUBECONFIG", kubeconfig));
        Assert.Throws<KubeconfigPolicyException>(() => fromEnvironment.Resolve(new(), KubeconfigPolicy.ForBuild(DeployMode.Pull)));

        WriteKubeconfig(Path.Combine(_home, ".kube", "config"), "http://127.0.0.1:1");
        Assert.Throws<KubeconfigPolicyException>(() => Connection().Resolve(new(), KubeconfigPolicy.ForBuild(DeployMode.Pull)));
        Assert.Throws<KubeconfigPolicyException>(() =>
            Connection(inCluster: true).Resolve(new(InCluster: true), KubeconfigPolicy.ForBuild(DeployMode.Pull)));
    }

    [Fact]
    public void Push_mode_chosen_explicitly_reads_the_kubeconfig_and_its_context()
    {
        var kubeconfig = WriteKubeconfig(Path.Combine(_home, "config"), "http://127.0.0.1:6443", extraContext: ("other", "http://127.0.0.1:7443"));

        var current = Connection(("KUBECONFIG", kubeconfig)).Resolve(new(), KubeconfigPolicy.ForBuild(DeployMode.Push));
        var chosen = Connection().Resolve(new(KubeconfigPath: kubeconfig, Context: "other"), KubeconfigPolicy.ForBuild(DeployMode.Push));
        var byAgent = Connection(("KUBECONFIG", kubeconfig)).Resolve(new(), KubeconfigPolicy.ForAgent());

        Assert.Equal("http://127.0.0.1:6443/", current.Host.TrimEnd('/') + "/");
        Assert.StartsWith("http://127.0.0.1:7443", chosen.Host);
        Assert.StartsWith("http://127.0.0.1:6443", byAgent.Host);
    }

    [Fact]
    public void A_missing_context_and_a_missing_configuration_are_clear_errors()
    {
        var kubeconfig = WriteKubeconfig(Path.Combine(_home, "config"), "http://127.0.0.1:6443");

        var badContext = Assert.Throws<KubernetesConfigurationException>(() =>
            Connection().Resolve(new(KubeconfigPath: kubeconfig, Context: "nope"), KubeconfigPolicy.ForBuild(DeployMode.Push)));
        var nothing = Assert.Throws<KubernetesConfigurationException>(() => Connection().Resolve(new(), KubeconfigPolicy.ForBuild(DeployMode.Push)));

        Assert.Contains("(context 'nope') cannot be used", badContext.Message);
        Assert.Contains("kubectl config get-contexts", badContext.Message);
        Assert.Contains("no Kubernetes configuration: KUBECONFIG is not set", nothing.Message);
    }

    [Fact]
    public async Task Push_mode_deploys_through_a_kubeconfig_that_names_the_cluster()
    {
        await using var simulation = await Slipway.Testing.Kubernetes.KubernetesApiSimulation.StartAsync();
        var kubeconfig = WriteKubeconfig(Path.Combine(_home, "config"), simulation.BaseAddress.ToString().TrimEnd('/'));

        var deployer = KubernetesDeployer.Connect(new KubernetesConnectionOptions(KubeconfigPath: kubeconfig), KubeconfigPolicy.ForBuild(DeployMode.Push),
            Logger(), new KubernetesDeployerOptions { RolloutTimeout = TimeSpan.FromMinutes(1) }, Connection());
        var result = await deployer.DeployAsync(TestManifests.For("staging", TestManifests.Image('a')), TestContext.Current.CancellationToken);

        Assert.Equal(RolloutState.Complete, result.Rollout.State);
    }

    private KubernetesConnection Connection(params (string Name, string Value)[] environment) => Connection(false, environment);

    private KubernetesConnection Connection(bool inCluster, params (string Name, string Value)[] environment) =>
        new(name => environment.FirstOrDefault(item => item.Name == name).Value, _home, () => inCluster);

    private static ILogger Logger() => new LoggerConfiguration().CreateLogger();

    private static string WriteKubeconfig(string path, string server, (string Name, string Server)? extraContext = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var clusters = new List<(string Name, string Server)> { ("main", server) };
        if (extraContext is { } other) clusters.Add(other);
        var text = new System.Text.StringBuilder("apiVersion: v1\nkind: Config\ncurrent-context: main\nclusters:\n");
        foreach (var (name, address) in clusters) text.Append($"- name: {name}\n  cluster:\n    server: \"{address}\"\n");
        text.Append("contexts:\n");
        foreach (var (name, _) in clusters) text.Append($"- name: {name}\n  context:\n    cluster: {name}\n    user: tester\n");
        text.Append("users:\n- name: tester\n  user:\n    token: not-a-real-token\n");
        File.WriteAllText(path, text.ToString());
        return path;
    }
}
