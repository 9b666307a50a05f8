using k8s;
using k8s.Models;
using Serilog;
using Slipway.Delivery.Kubernetes;
using Slipway.Delivery.Tests.Manifests;

namespace Slipway.Delivery.Tests.Kubernetes;

/// <summary>deploy/kubernetes/agent-rbac.yaml grants the agent nothing cluster-wide and nothing beyond its resources and namespaces.</summary>
public sealed class AgentRbacManifestTests
{
    private static readonly string[] Environments = ["staging", "production"];
    private static readonly HashSet<string> AllowedVerbs = ["get", "list", "watch", "create", "patch", "delete"];
    private static readonly HashSet<(string Group, string Resource)> AllowedResources = [("apps", "deployments"), ("", "services"), ("", "configmaps")];

    private static List<object> Objects() =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(DeployFolder.Repository, "kubernetes", "agent-rbac.yaml")));

    [Fact]
    public void The_agent_RBAC_grants_nothing_cluster_wide_and_only_its_resources_in_its_namespaces()
    {
        var objects = Objects();

        Assert.All(objects, item => Assert.True(item is V1Namespace or V1ServiceAccount or V1Role or V1RoleBinding,
            $"{item.GetType().Name} is not allowed in the agent's RBAC (no ClusterRole, no ClusterRoleBinding)"));
        var account = Assert.Single(objects.OfType<V1ServiceAccount>());
        var roles = objects.OfType<V1Role>().ToList();
        Assert.Equal(Environments.Order(), roles.Select(role => role.Metadata.NamespaceProperty).Order());
        foreach (var rule in roles.SelectMany(role => role.Rules))
        {
            Assert.Null(rule.ResourceNames);
            Assert.Null(rule.NonResourceURLs);
            Assert.All(rule.Verbs, verb => Assert.Contains(verb, AllowedVerbs));
            foreach (var group in rule.ApiGroups)
            foreach (var resource in rule.Resources)
                Assert.Contains((group, resource), AllowedResources);
        }
        var bindings = objects.OfType<V1RoleBinding>().ToList();
        Assert.Equal(Environments.Order(), bindings.Select(binding => binding.Metadata.NamespaceProperty).Order());
        foreach (var binding in bindings)
        {
            Assert.Equal("Role", binding.RoleRef.Kind); // a RoleBinding to a ClusterRole would borrow cluster-defined rights
            Assert.Contains(roles, role => role.Metadata.Name == binding.RoleRef.Name && role.Metadata.NamespaceProperty == binding.Metadata.NamespaceProperty);
            var subject = Assert.Single(binding.Subjects);
            Assert.Equal(("ServiceAccount", account.Metadata.Name, account.Metadata.NamespaceProperty), (subject.Kind, subject.Name, subject.NamespaceProperty));
        }
        Assert.Equal(Environments.Order(), objects.OfType<V1Namespace>().Select(ns => ns.Metadata.Name).Where(Environments.Contains).Order());
    }

    [Fact]
    public void The_CI_status_reader_may_only_read_the_engines_objects()
    {
        var objects = KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(DeployFolder.Repository, "kubernetes", "ci-status-reader-rbac.yaml")));

        Assert.All(objects, item => Assert.True(item is V1ServiceAccount or V1Role or V1RoleBinding, $"{item.GetType().Name} is not allowed"));
        var rules = objects.OfType<V1Role>().SelectMany(role => role.Rules.Select(rule => (role.Metadata.NamespaceProperty, rule))).ToList();
        Assert.Equal(2, rules.Count);
        Assert.All(rules, entry => Assert.Equal(["get", "list", "watch"], entry.rule.Verbs));
        Assert.Contains(rules, entry => entry.NamespaceProperty == "flux-system" &&
                                        entry.rule.ApiGroups.SequenceEqual(["kustomize.toolkit.fluxcd.io"]) && entry.rule.Resources.SequenceEqual(["kustomizations"]));
        Assert.Contains(rules, entry => entry.NamespaceProperty == "argocd" &&
                                        entry.rule.ApiGroups.SequenceEqual(["argoproj.io"]) && entry.rule.Resources.SequenceEqual(["applications"]));
        Assert.All(objects.OfType<V1RoleBinding>(), binding => Assert.Equal("Role", binding.RoleRef.Kind));
    }

    [Fact]
    public async Task Every_request_the_agent_deployer_makes_is_one_the_RBAC_grants()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        var roles = Objects().OfType<V1Role>().ToList();
        // As the agent runs: namespaces come from agent-rbac.yaml, the deployer does not manage them.
        await target.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "staging" } },
            cancellationToken: TestContext.Current.CancellationToken);
        var before = simulation.Requests.Count;
        var deployer = new KubernetesDeployer(target.Client, new LoggerConfiguration().CreateLogger(),
            new KubernetesDeployerOptions { ManageNamespaces = false, RolloutTimeout = TimeSpan.FromMinutes(1) });

        await deployer.DeployAsync(TestManifests.For("staging", TestManifests.Image('a')), TestContext.Current.CancellationToken);
        await deployer.DeployAsync(TestManifests.For("staging", TestManifests.Image('b'), "blue-green"), TestContext.Current.CancellationToken);
        await deployer.DeployAsync(TestManifests.For("staging", TestManifests.Image('c'), "canary", replicas: 4, canarySteps: "50:0"),
            TestContext.Current.CancellationToken);
        await deployer.DeployAsync(TestManifests.For("staging", TestManifests.Image('d'), "canary", replicas: 4, canarySteps: "50:0"),
            TestContext.Current.CancellationToken);

        var requests = simulation.Requests.Skip(before).ToList();
        Assert.Contains(requests, request => request.Verb == "delete"); // prune and canary cleanup were exercised
        Assert.All(requests, request => Assert.True(
            roles.Any(role => role.Metadata.NamespaceProperty == request.Namespace && role.Rules.Any(rule =>
                rule.Verbs.Contains(request.Verb) && rule.ApiGroups.Contains(request.Group) && rule.Resources.Contains(request.Resource))),
            $"the agent's RBAC does not grant {request}"));
    }
}
