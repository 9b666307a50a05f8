using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Slipway.Delivery.Kubernetes.GitOpsEngines;
using Slipway.Delivery.Tests.ConfigRepo;
using Slipway.Testing.Kubernetes;

namespace Slipway.Delivery.Tests.Kubernetes;

/// <summary>`Deploy --wait-for flux|argocd`: the engines' objects in the Kubernetes API SIMULATION, moved as their controllers would.</summary>
public sealed class GitOpsEngineWaiterTests
{
    private const string Expected = "4f2a9c0d1b3e5f60718293a4b5c6d7e8f9012345";
    private const string Older = "0d1e2f30415263748596a7b8c9d0e1f203142536";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private readonly CollectingSink _log = new();
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_Flux_Kustomization_is_waited_on_until_Ready_at_the_expected_revision()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        await CreateAsync(target.Client, "flux-system", FluxKustomization.Group, FluxKustomization.Version, FluxKustomization.Plural, FluxObject(target.Environment));
        var waiter = new FluxKustomizationWaiter(target.Client, _log.Logger());

        var wait = waiter.WaitAsync("flux-system", $"slipway-{target.Environment}", Expected, Timeout, Cancel);
        await KubernetesDeployerTests.WaitUntil(() => simulation.ActiveWatches > 0);
        simulation.SetStatus("Kustomization", "flux-system", $"slipway-{target.Environment}", FluxStatus("True", "ReconciliationSucceeded",
            $"Applied revision: main@sha1:{Older}", applied: $"main@sha1:{Older}", attempted: $"main@sha1:{Older}"));
        await KubernetesDeployerTests.WaitUntil(() => _log.Text.Contains($"last applied main@sha1:{Older}", StringComparison.Ordinal));
        Assert.False(wait.IsCompleted); // an older revision being ready is not our deploy
        simulation.SetStatus("Kustomization", "flux-system", $"slipway-{target.Environment}", FluxStatus("True", "ReconciliationSucceeded",
            $"Applied revision: main@sha1:{Expected}", applied: $"main@sha1:{Expected}", attempted: $"main@sha1:{Expected}"));

        var result = await wait;
        Assert.Equal(GitOpsEngineState.Succeeded, result.State);
        Assert.Equal($"main@sha1:{Expected}", result.Revision);
    }

    [Fact]
    public async Task A_Flux_Kustomization_that_is_not_Ready_for_the_expected_revision_fails_with_its_message()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        await CreateAsync(target.Client, "flux-system", FluxKustomization.Group, FluxKustomization.Version, FluxKustomization.Plural, FluxObject(target.Environment));
        var waiter = new FluxKustomizationWaiter(target.Client, _log.Logger());

        var wait = waiter.WaitAsync("flux-system", $"slipway-{target.Environment}", Expected[..12], Timeout, Cancel);
        await KubernetesDeployerTests.WaitUntil(() => simulation.ActiveWatches > 0);
        simulation.SetStatus("Kustomization", "flux-system", $"slipway-{target.Environment}", FluxStatus("False", "HealthCheckFailed",
            "health check failed after 2m0s: timeout waiting for: [Deployment/staging/beacon status: 'InProgress']",
            applied: $"main@sha1:{Older}", attempted: $"main@sha1:{Expected}"));

        var failure = await Assert.ThrowsAsync<GitOpsEngineWaitException>(() => wait);
        Assert.Equal(GitOpsEngineState.Failed, failure.LastStatus!.State);
        Assert.Contains("HealthCheckFailed: health check failed after 2m0s", failure.Message);
        Assert.Contains($"Kustomization flux-system/slipway-{target.Environment}", failure.Message);
    }

    [Fact]
    public async Task An_Argo_CD_Application_is_waited_on_until_Synced_and_Healthy_at_the_expected_revision()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        await CreateAsync(target.Client, "argocd", ArgoCdApplication.Group, ArgoCdApplication.Version, ArgoCdApplication.Plural, ArgoObject(target.Environment));
        var waiter = new ArgoCdApplicationWaiter(target.Client, _log.Logger());

        var wait = waiter.WaitAsync("argocd", $"slipway-{target.Environment}", Expected, Timeout, Cancel);
        await KubernetesDeployerTests.WaitUntil(() => simulation.ActiveWatches > 0);
        simulation.SetStatus("Application", "argocd", $"slipway-{target.Environment}", ArgoStatus("Synced", Expected, "Progressing", null));
        await KubernetesDeployerTests.WaitUntil(() => _log.Text.Contains("health Progressing", StringComparison.Ordinal));
        Assert.False(wait.IsCompleted);
        simulation.SetStatus("Application", "argocd", $"slipway-{target.Environment}", ArgoStatus("Synced", Expected, "Healthy", null));

        var result = await wait;
        Assert.Equal(GitOpsEngineState.Succeeded, result.State);
        Assert.Equal(Expected, result.Revision);
    }

    [Fact]
    public async Task A_Degraded_Argo_CD_Application_fails_with_its_health_message()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        await CreateAsync(target.Client, "argocd", ArgoCdApplication.Group, ArgoCdApplication.Version, ArgoCdApplication.Plural, ArgoObject(target.Environment));
        var waiter = new ArgoCdApplicationWaiter(target.Client, _log.Logger());

        var wait = waiter.WaitAsync("argocd", $"slipway-{target.Environment}", Expected, Timeout, Cancel);
        await KubernetesDeployerTests.WaitUntil(() => simulation.ActiveWatches > 0);
        simulation.SetStatus("Application", "argocd", $"slipway-{target.Environment}",
            ArgoStatus("Synced", Expected, "Degraded", "Deployment \"beacon\" exceeded its progress deadline"));

        var failure = await Assert.ThrowsAsync<GitOpsEngineWaitException>(() => wait);
        Assert.Contains($"revision {Expected} is Degraded: Deployment \"beacon\" exceeded its progress deadline", failure.Message);
    }

    [Fact]
    public async Task The_engine_wait_resumes_when_the_server_ends_its_watch()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        await CreateAsync(target.Client, "flux-system", FluxKustomization.Group, FluxKustomization.Version, FluxKustomization.Plural, FluxObject(target.Environment));
        simulation.WatchLifetime = TimeSpan.FromMilliseconds(50);
        var waiter = new FluxKustomizationWaiter(target.Client, _log.Logger());

        var wait = waiter.WaitAsync("flux-system", $"slipway-{target.Environment}", Expected, Timeout, Cancel);
        await KubernetesDeployerTests.WaitUntil(() => wait.IsCompleted ||
                                                      simulation.Requests.Count(request => request.Verb == "watch" && request.Resource == "kustomizations") >= 3);
        simulation.SetStatus("Kustomization", "flux-system", $"slipway-{target.Environment}", FluxStatus("True", "ReconciliationSucceeded",
            $"Applied revision: main@sha1:{Expected}", applied: $"main@sha1:{Expected}", attempted: $"main@sha1:{Expected}"));

        Assert.Equal(GitOpsEngineState.Succeeded, (await wait).State);
    }

    [Fact]
    public async Task Waiting_on_an_engine_object_that_does_not_exist_says_how_to_create_it()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var waiter = new FluxKustomizationWaiter(target.Client, _log.Logger());

        var failure = await Assert.ThrowsAsync<GitOpsEngineWaitException>(() => waiter.WaitAsync("flux-system", "absent", Expected, Timeout, Cancel));

        Assert.Contains("Kustomization flux-system/absent does not exist", failure.Message);
        Assert.Contains("deploy/kubernetes/", failure.Message);
    }

    [Fact]
    public async Task An_engine_that_never_reaches_the_revision_times_out_with_its_last_status()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        await CreateAsync(target.Client, "argocd", ArgoCdApplication.Group, ArgoCdApplication.Version, ArgoCdApplication.Plural, ArgoObject(target.Environment));
        simulation.SetStatus("Application", "argocd", $"slipway-{target.Environment}", ArgoStatus("OutOfSync", Older, "Healthy", null));
        var waiter = new ArgoCdApplicationWaiter(target.Client, _log.Logger());

        var failure = await Assert.ThrowsAsync<GitOpsEngineWaitException>(() =>
            waiter.WaitAsync("argocd", $"slipway-{target.Environment}", Expected, TimeSpan.FromSeconds(1), Cancel));

        Assert.Contains($"revision {Expected} not applied after 1s", failure.Message);
        Assert.Contains($"sync OutOfSync at {Older}", failure.Message);
    }

    [Fact]
    public void A_Flux_failure_of_an_older_revision_is_history_not_the_verdict_on_the_expected_one()
    {
        var waiter = new FluxKustomizationWaiter(null!, _log.Logger());
        var item = new FluxKustomization
        {
            Metadata = new V1ObjectMeta { Name = "slipway-staging", Generation = 1 },
            Status = new FluxKustomizationStatus
            {
                ObservedGeneration = 1,
                LastAppliedRevision = $"main@sha1:{Older}",
                LastAttemptedRevision = $"main@sha1:{Older}",
                Conditions = [new V1Condition { Type = "Ready", Status = "False", Reason = "BuildFailed", Message = "kustomize build failed" }],
            },
        };

        Assert.Equal(GitOpsEngineState.Waiting, waiter.Evaluate(item, Expected).State);
        item.Status.LastAttemptedRevision = $"main@sha1:{Expected}";
        Assert.Equal(GitOpsEngineState.Failed, waiter.Evaluate(item, Expected).State);
    }

    [Theory]
    [InlineData("flux", GitOpsEngine.Flux)]
    [InlineData("argocd", GitOpsEngine.ArgoCd)]
    [InlineData("slipway", GitOpsEngine.Slipway)]
    [InlineData(" Flux ", GitOpsEngine.Flux)]
    public void The_wait_for_option_names_an_engine(string text, GitOpsEngine engine) => Assert.Equal(engine, GitOpsEngineNames.Parse(text));

    [Fact]
    public void An_unknown_wait_for_value_lists_the_valid_ones() =>
        Assert.Contains("use slipway, flux or argocd", Assert.Throws<ArgumentException>(() => GitOpsEngineNames.Parse("spinnaker")).Message);

    private static async Task CreateAsync(IKubernetes client, string @namespace, string group, string version, string plural, JsonObject body)
    {
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = @namespace } }, cancellationToken: Cancel);
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(body, group, version, @namespace, plural, cancellationToken: Cancel);
    }

    // Shaped like deploy/kubernetes/flux-kustomization.yaml and argocd-application.yaml.
    private static JsonObject FluxObject(string environment) => JsonNode.Parse($$"""
        {"apiVersion":"kustomize.toolkit.fluxcd.io/v1","kind":"Kustomization",
         "metadata":{"name":"slipway-{{environment}}","namespace":"flux-system"},
         "spec":{"interval":"1m","path":"./environments/{{environment}}","prune":true,"wait":true,"timeout":"2m",
                 "sourceRef":{"kind":"GitRepository","name":"slipway-config"},"targetNamespace":"{{environment}}"} }
        """)!.AsObject();

    private static JsonObject ArgoObject(string environment) => JsonNode.Parse($$"""
        {"apiVersion":"argoproj.io/v1alpha1","kind":"Application",
         "metadata":{"name":"slipway-{{environment}}","namespace":"argocd"},
         "spec":{"project":"default",
                 "source":{"repoURL":"https://git.example.com/slipway-config.git","targetRevision":"main","path":"environments/{{environment}}","directory":{"recurse":false} },
                 "destination":{"server":"https://kubernetes.default.svc","namespace":"{{environment}}"},
                 "syncPolicy":{"automated":{"prune":true,"selfHeal":true} } } }
        """)!.AsObject();

    private static JsonObject FluxStatus(string ready, string reason, string message, string applied, string attempted) => new()
    {
        ["observedGeneration"] = 1,
        ["lastAppliedRevision"] = applied,
        ["lastAttemptedRevision"] = attempted,
        ["conditions"] = new JsonArray(new JsonObject
        {
            ["type"] = "Ready", ["status"] = ready, ["reason"] = reason, ["message"] = message,
            ["lastTransitionTime"] = "2026-01-01T00:00:00Z", ["observedGeneration"] = 1,
        }),
    };

    private static JsonObject ArgoStatus(string sync, string revision, string health, string? healthMessage) => new()
    {
        ["sync"] = new JsonObject { ["status"] = sync, ["revision"] = revision },
        ["health"] = new JsonObject { ["status"] = health, ["message"] = healthMessage },
    };
}
