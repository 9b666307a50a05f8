using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Slipway.Testing.Kubernetes;

namespace Slipway.Delivery.Tests.Kubernetes;

/// <summary>The SIMULATION keeps the Kubernetes API contract the deployer relies on (checked over plain HTTP).</summary>
public sealed class KubernetesApiSimulationTests : IAsyncLifetime
{
    private KubernetesApiSimulation _simulation = null!;
    private HttpClient _http = null!;
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _simulation = await KubernetesApiSimulation.StartAsync();
        _simulation.Controller.DefaultBehaviour = SimulatedRollout.Manual;
        _http = new HttpClient { BaseAddress = _simulation.BaseAddress };
        Assert.Equal(HttpStatusCode.Created, (await Apply("/api/v1/namespaces/demo", "me", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"}}""")).Status);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _simulation.DisposeAsync();
    }

    private const string Deployments = "/apis/apps/v1/namespaces/demo/deployments";

    private static string Deployment(int replicas, string image = "img@sha256:1", string? label = null) => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: {{(label is null ? "{}" : $"{{ tier: {label} }}")}}
        spec:
          replicas: {{replicas}}
          selector: { matchLabels: { app: web } }
          template:
            metadata: { labels: { app: web } }
            spec: { containers: [ { name: web, image: "{{image}}" } ] }
        """;

    private async Task<(HttpStatusCode Status, JsonObject Body)> Apply(string path, string? manager, string yaml, bool force = false)
    {
        var query = manager is null ? "" : $"?fieldManager={manager}&force={(force ? "true" : "false")}";
        using var content = new StringContent(yaml, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/apply-patch+yaml");
        using var response = await _http.PatchAsync(path + query, content, Cancel);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!.AsObject());
    }

    private async Task<JsonObject> Get(string path) => JsonNode.Parse(await _http.GetStringAsync(path, Cancel))!.AsObject();

    private static long Version(JsonObject item) => long.Parse(item["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
    private static long Generation(JsonObject item) => SimulatedJson.Number(item["metadata"]!["generation"])!.Value;

    [Fact]
    public async Task ResourceVersion_grows_with_every_change_and_generation_only_with_the_spec()
    {
        var created = (await Apply($"{Deployments}/web", "me", Deployment(1))).Body;
        var relabelled = (await Apply($"{Deployments}/web", "me", Deployment(1, label: "front"))).Body;
        _simulation.Controller.SetStatus("demo", "web", new JsonObject { ["observedGeneration"] = 1 });
        var withStatus = await Get($"{Deployments}/web");
        var scaled = (await Apply($"{Deployments}/web", "me", Deployment(3, label: "front"))).Body;
        var unchanged = (await Apply($"{Deployments}/web", "me", Deployment(3, label: "front"))).Body;

        Assert.True(Version(created) < Version(relabelled) && Version(relabelled) < Version(withStatus) && Version(withStatus) < Version(scaled));
        Assert.Equal([1, 1, 1, 2], new[] { created, relabelled, withStatus, scaled }.Select(Generation));
        Assert.Equal(Version(scaled), Version(unchanged)); // a no-op apply writes nothing
    }

    [Fact]
    public async Task Apply_conflicts_name_the_field_and_its_manager_and_force_takes_ownership()
    {
        await Apply($"{Deployments}/web", "alice", Deployment(2));

        var same = await Apply($"{Deployments}/web", "bob", Deployment(2)); // same values: shared ownership, no conflict
        var conflict = await Apply($"{Deployments}/web", "bob", Deployment(5, image: "img@sha256:2"));

        Assert.Equal(HttpStatusCode.OK, same.Status);
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        Assert.Equal("Status", conflict.Body["kind"]!.GetValue<string>());
        Assert.Equal("Conflict", conflict.Body["reason"]!.GetValue<string>());
        var causes = conflict.Body["details"]!["causes"]!.AsArray().Select(cause => (cause!["field"]!.GetValue<string>(), cause["message"]!.GetValue<string>())).ToList();
        Assert.Contains((".spec.replicas", "conflict with \"alice\" using apps/v1"), causes);
        Assert.Contains((".spec.template.spec.containers", "conflict with \"alice\" using apps/v1"), causes);
        Assert.Equal(2, SimulatedJson.Number((await Get($"{Deployments}/web"))["spec"]!["replicas"]));

        var forced = await Apply($"{Deployments}/web", "bob", Deployment(5, image: "img@sha256:2"), force: true);
        Assert.Equal(HttpStatusCode.OK, forced.Status);
        var alice = forced.Body["metadata"]!["managedFields"]!.AsArray().Single(entry => entry!["manager"]!.GetValue<string>() == "alice")!;
        Assert.Null(alice["fieldsV1"]!["f:spec"]!["f:replicas"]);
        Assert.Equal("Apply", alice["operation"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_field_a_manager_stops_applying_is_removed_and_status_is_ignored_by_apply()
    {
        await Apply($"{Deployments}/web", "me", Deployment(1, label: "front"));
        _simulation.Controller.SetStatus("demo", "web", new JsonObject { ["availableReplicas"] = 1 });

        var applied = (await Apply($"{Deployments}/web", "me", Deployment(1) + "\nstatus: { availableReplicas: 9 }\n")).Body;

        Assert.Null(applied["metadata"]!["labels"]?["tier"]);
        Assert.Equal(1, SimulatedJson.Number(applied["status"]!["availableReplicas"]));
    }

    [Fact]
    public async Task Apply_needs_a_field_manager_and_an_existing_namespace()
    {
        var noManager = await Apply($"{Deployments}/web", null, Deployment(1));
        var noNamespace = await Apply("/apis/apps/v1/namespaces/absent/deployments/web", "me", Deployment(1));

        Assert.Equal(HttpStatusCode.BadRequest, noManager.Status);
        Assert.Contains("fieldManager is required for apply requests", noManager.Body["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, noNamespace.Status);
        Assert.Equal("namespaces \"absent\" not found", noNamespace.Body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_watch_from_a_resourceVersion_replays_later_events_in_order_then_streams()
    {
        var first = (await Apply($"{Deployments}/web", "me", Deployment(1))).Body;
        await Apply($"{Deployments}/web", "me", Deployment(2));
        using var response = await _http.GetAsync($"{Deployments}?watch=true&resourceVersion={Version(first)}&fieldSelector=metadata.name%3Dweb",
            HttpCompletionOption.ResponseHeadersRead, Cancel);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Cancel));

        var replayed = JsonNode.Parse((await reader.ReadLineAsync(Cancel))!)!;
        using (var delete = await _http.DeleteAsync($"{Deployments}/web", Cancel)) Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        var deleted = JsonNode.Parse((await reader.ReadLineAsync(Cancel))!)!;

        Assert.Equal("MODIFIED", replayed["type"]!.GetValue<string>());
        Assert.Equal(2, SimulatedJson.Number(replayed["object"]!["spec"]!["replicas"]));
        Assert.Equal("DELETED", deleted["type"]!.GetValue<string>());
        Assert.True(Version(deleted["object"]!.AsObject()) > Version(replayed["object"]!.AsObject()));
    }

    [Fact]
    public async Task Lists_filter_by_label_selector_and_carry_the_list_resourceVersion()
    {
        await Apply("/api/v1/namespaces/demo/configmaps/a", "me", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"team":"x"}}}""");
        await Apply("/api/v1/namespaces/demo/configmaps/b", "me", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","labels":{"team":"y"}}}""");

        var list = await Get("/api/v1/namespaces/demo/configmaps?labelSelector=team%3Dx");

        Assert.Equal("ConfigMapList", list["kind"]!.GetValue<string>());
        Assert.Equal(["a"], list["items"]!.AsArray().Select(item => item!["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal(_simulation.CurrentResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            list["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task Discovery_lists_the_Gateway_API_only_when_the_test_enables_it()
    {
        static IEnumerable<string> Groups(JsonObject list) => list["groups"]!.AsArray().Select(group => group!["name"]!.GetValue<string>());

        Assert.DoesNotContain("gateway.networking.k8s.io", Groups(await Get("/apis")));
        using (var missing = await _http.GetAsync("/apis/gateway.networking.k8s.io/v1/namespaces/demo/httproutes", Cancel))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        _simulation.ServesGatewayApi = true;

        Assert.Contains("gateway.networking.k8s.io", Groups(await Get("/apis")));
        Assert.Contains("kustomize.toolkit.fluxcd.io", Groups(await Get("/apis")));
        Assert.Contains("argoproj.io", Groups(await Get("/apis")));
        Assert.Equal("HTTPRouteList", (await Get("/apis/gateway.networking.k8s.io/v1/namespaces/demo/httproutes"))["kind"]!.GetValue<string>());
    }
}
