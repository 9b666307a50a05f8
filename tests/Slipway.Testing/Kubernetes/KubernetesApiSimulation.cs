using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Slipway.Testing.Kubernetes;

/// <summary>
/// A SIMULATION of the Kubernetes API server, in process on Kestrel (127.0.0.1, a free port), following the real API's
/// contract for what Slipway uses: server-side apply (application/apply-patch+yaml, fieldManager, force) with
/// managedFields-based conflicts, merge patch, create, replace, get, list (label/field selectors), delete, and watch
/// (?watch=true, JSON lines of {type, object}, resourceVersion semantics) for Namespaces, ConfigMaps, Services,
/// Deployments (with the status subresource), Flux Kustomizations, Argo CD Applications and — only when a test enables
/// it — Gateway API HTTPRoutes; API discovery (/api, /apis). It is not a Kubernetes: no pods run. A simulated
/// Deployment controller (<see cref="Controller"/>) moves Deployment status the way tests ask.
/// </summary>
public sealed class KubernetesApiSimulation : IAsyncDisposable
{
    /// <summary>The manager named in managedFields for writes that give no fieldManager (real servers derive it from the user agent).</summary>
    public const string DefaultUpdateManager = "simulation-client";

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    private readonly WebApplication _app;
    private readonly SimulatedObjectStore _store;
    private readonly CancellationTokenSource _stopping = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<SimulatedRequest> _requests = new();

    private KubernetesApiSimulation(WebApplication app, SimulatedObjectStore store)
    {
        _app = app;
        _store = store;
        Controller = new SimulatedDeploymentController(store);
    }

    /// <summary>The simulated Deployment controller: tests choose whether rollouts progress, stall or wait for them.</summary>
    public SimulatedDeploymentController Controller { get; }

    /// <summary>Whether /apis lists gateway.networking.k8s.io and HTTPRoutes are served (off: as on a cluster without Gateway API).</summary>
    public bool ServesGatewayApi { get; set; }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>
    /// When set, the server ends every watch after this long, as real API servers end watches after a (randomised)
    /// request timeout; clients must resume. Null: a watch lasts until the client's timeoutSeconds or disconnect.
    /// </summary>
    public TimeSpan? WatchLifetime { get; set; }

    /// <summary>Every resource request served, as the RBAC verb it needs (what an authorizer would check).</summary>
    public IReadOnlyList<SimulatedRequest> Requests => [.. _requests];

    /// <summary>How many watches clients hold open now (lets a test act once a waiter is watching).</summary>
    public int ActiveWatches => _store.ActiveWatches;

    /// <summary>The resourceVersion the next write will exceed.</summary>
    public long CurrentResourceVersion => _store.CurrentResourceVersion;

    public static async Task<KubernetesApiSimulation> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var simulation = new KubernetesApiSimulation(app, new SimulatedObjectStore(TimeProvider.System));
        app.Run(simulation.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        simulation.BaseAddress = new Uri(address);
        return simulation;
    }

    /// <summary>A KubernetesClient pointed at the simulation (plain HTTP, no credentials).</summary>
    public IKubernetes CreateClient() => new k8s.Kubernetes(new KubernetesClientConfiguration { Host = BaseAddress.ToString() });

    /// <summary>The stored object (as the API would return it), or null.</summary>
    public JsonObject? Find(string kind, string? @namespace, string name) => _store.TryGet(Key(kind, @namespace, name));

    /// <summary>Sets an object's status as its controller would (Flux, Argo CD, or a hand-driven Deployment controller).</summary>
    public JsonObject SetStatus(string kind, string @namespace, string name, JsonObject status) =>
        _store.Modify(Key(kind, @namespace, name), "simulated-controller", statusOnly: true, item =>
        {
            item["status"] = status.DeepClone();
            return item;
        });

    private static SimulatedObjectKey Key(string kind, string? @namespace, string name) =>
        new(SimulatedResourceType.All.SingleOrDefault(type => type.Kind == kind) ?? throw new ArgumentException($"the simulation serves no kind {kind}"),
            @namespace, name);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await Controller.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        try
        {
            await RouteAsync(context).ConfigureAwait(false);
        }
        catch (SimulatedApiException exception)
        {
            await WriteAsync(context, exception.Code, exception.Status()).ConfigureAwait(false);
        }
    }

    private async Task RouteAsync(HttpContext context)
    {
        var segments = context.Request.Path.Value!.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (segments)
        {
            case ["version"]:
                await WriteAsync(context, 200, new JsonObject { ["major"] = "1", ["minor"] = "34", ["gitVersion"] = "v1.34.0-slipway-simulation" }).ConfigureAwait(false);
                return;
            case ["api"]:
                await WriteAsync(context, 200, new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"), ["serverAddressByClientCIDRs"] = new JsonArray() })
                    .ConfigureAwait(false);
                return;
            case ["apis"]:
                await WriteAsync(context, 200, GroupList()).ConfigureAwait(false);
                return;
            case ["api", "v1", .. var rest]:
                await ResourceAsync(context, "", "v1", rest).ConfigureAwait(false);
                return;
            case ["apis", var group, var version, .. var rest]:
                await ResourceAsync(context, group, version, rest).ConfigureAwait(false);
                return;
            default:
                throw new SimulatedApiException(404, "NotFound", $"the server could not find the requested resource ({context.Request.Path})");
        }
    }

    private IEnumerable<SimulatedResourceType> Served =>
        SimulatedResourceType.All.Where(type => ServesGatewayApi || type != SimulatedResourceType.HttpRoutes);

    private JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var group in Served.Where(type => type.Group.Length > 0).GroupBy(type => (type.Group, type.Version)))
        {
            var version = new JsonObject { ["groupVersion"] = $"{group.Key.Group}/{group.Key.Version}", ["version"] = group.Key.Version };
            groups.Add(new JsonObject
            {
                ["name"] = group.Key.Group,
                ["versions"] = new JsonArray(version),
                ["preferredVersion"] = version.DeepClone(),
            });
        }
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    private async Task ResourceAsync(HttpContext context, string group, string version, string[] rest)
    {
        if (rest.Length == 0)
        {
            var resources = new JsonArray();
            foreach (var served in Served.Where(item => item.Group == group && item.Version == version))
                resources.Add(new JsonObject { ["name"] = served.Plural, ["namespaced"] = served.Namespaced, ["kind"] = served.Kind });
            if (resources.Count == 0) throw new SimulatedApiException(404, "NotFound", $"the server could not find the requested resource ({group}/{version})");
            await WriteAsync(context, 200, new JsonObject { ["kind"] = "APIResourceList", ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}", ["resources"] = resources })
                .ConfigureAwait(false);
            return;
        }

        string? @namespace = null;
        if (rest is ["namespaces", var ns, var plural, ..] && plural is not ("status" or "finalize"))
        {
            @namespace = ns;
            rest = rest[2..];
        }
        var type = Served.SingleOrDefault(item => item.Group == group && item.Version == version && item.Plural == rest[0])
                   ?? throw new SimulatedApiException(404, "NotFound", $"the server could not find the requested resource ({context.Request.Path})");
        if (type.Namespaced != (@namespace is not null) && rest.Length > 1)
            throw new SimulatedApiException(404, "NotFound", $"{type.QualifiedName} is {(type.Namespaced ? "" : "not ")}namespaced");
        var name = rest.Length > 1 ? rest[1] : null;
        var subresource = rest.Length > 2 ? rest[2] : null;
        if (subresource is not (null or "status") || rest.Length > 3 || (subresource == "status" && !type.StatusSubresource))
            throw new SimulatedApiException(404, "NotFound", $"the server could not find the requested resource ({context.Request.Path})");

        var query = context.Request.Query;
        var method = context.Request.Method;
        var verb = (method, name, query["watch"].ToString()) switch
        {
            ("GET", null, "true" or "1") => "watch",
            ("GET", null, _) => "list",
            ("GET", _, _) => "get",
            ("POST", _, _) => "create",
            ("PATCH", _, _) => "patch",
            ("PUT", _, _) => "update",
            ("DELETE", _, _) => "delete",
            _ => method.ToLowerInvariant(),
        };
        _requests.Enqueue(new SimulatedRequest(verb, type.Group, subresource is null ? type.Plural : $"{type.Plural}/{subresource}", @namespace, name));
        if (name is null)
        {
            if (method == "GET" && query["watch"] is var watch && (watch == "true" || watch == "1"))
                await WatchAsync(context, type, @namespace).ConfigureAwait(false);
            else if (method == "GET")
                await WriteAsync(context, 200, _store.List(type, @namespace, SimulatedSelector.Parse(query["labelSelector"], query["fieldSelector"]))).ConfigureAwait(false);
            else if (method == "POST")
            {
                var body = await ReadJsonAsync(context).ConfigureAwait(false);
                var objectName = body["metadata"]?["name"]?.GetValue<string>()
                                 ?? throw new SimulatedApiException(422, "Invalid", "metadata.name: Required value: name is required");
                await WriteAsync(context, 201, _store.Create(new SimulatedObjectKey(type, @namespace, objectName), body, Manager(context) ?? DefaultUpdateManager))
                    .ConfigureAwait(false);
            }
            else throw MethodNotAllowed(method);
            return;
        }

        var key = new SimulatedObjectKey(type, @namespace, name);
        switch (method)
        {
            case "GET":
                await WriteAsync(context, 200, _store.Get(key)).ConfigureAwait(false);
                break;
            case "DELETE":
                var deleted = _store.Delete(key);
                // Per the API's OpenAPI contract a Service delete answers with the deleted Service; the others with a Status.
                if (type == SimulatedResourceType.Services)
                {
                    await WriteAsync(context, 200, deleted).ConfigureAwait(false);
                    break;
                }
                await WriteAsync(context, 200, new JsonObject
                {
                    ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success",
                    ["details"] = new JsonObject { ["name"] = name, ["group"] = type.Group, ["kind"] = type.Plural, ["uid"] = deleted["metadata"]?["uid"]?.DeepClone() },
                }).ConfigureAwait(false);
                break;
            case "PATCH":
                await PatchAsync(context, key, subresource == "status").ConfigureAwait(false);
                break;
            case "PUT":
                var replacement = await ReadJsonAsync(context).ConfigureAwait(false);
                await WriteAsync(context, 200, _store.Modify(key, Manager(context) ?? DefaultUpdateManager, subresource == "status", live =>
                {
                    // Optimistic concurrency: a replace naming an older resourceVersion is refused, as on a real server.
                    if (replacement["metadata"]?["resourceVersion"]?.GetValue<string>() is { Length: > 0 } expected &&
                        expected != live["metadata"]?["resourceVersion"]?.GetValue<string>())
                        throw new SimulatedApiException(409, "Conflict",
                            $"Operation cannot be fulfilled on {type.QualifiedName} \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
                    return replacement;
                })).ConfigureAwait(false);
                break;
            default:
                throw MethodNotAllowed(method);
        }
    }

    private async Task PatchAsync(HttpContext context, SimulatedObjectKey key, bool status)
    {
        var contentType = context.Request.ContentType?.Split(';')[0].Trim();
        var text = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync().ConfigureAwait(false);
        switch (contentType)
        {
            case "application/apply-patch+yaml":
                if (status) throw new SimulatedApiException(415, "UnsupportedMediaType", "the simulation does not apply to the status subresource");
                var manager = Manager(context)
                              ?? throw new SimulatedApiException(400, "BadRequest", "PATCH " + context.Request.Path + ": fieldManager is required for apply requests");
                var force = context.Request.Query["force"] == "true";
                var (item, created) = _store.Apply(key, SimulationYaml.ParseObject(text), manager, force);
                // An apply that creates the object needs the create verb as well as patch.
                if (created) _requests.Enqueue(new SimulatedRequest("create", key.Type.Group, key.Type.Plural, key.Namespace, key.Name));
                await WriteAsync(context, created ? 201 : 200, item).ConfigureAwait(false);
                return;
            case "application/merge-patch+json" or "application/strategic-merge-patch+json":
                // Strategic merge patch is treated as a JSON merge patch (the simulation knows no patch strategies of list fields).
                if (JsonNode.Parse(text) is not JsonObject patch) throw new SimulatedApiException(400, "BadRequest", "a merge patch must be a JSON object");
                await WriteAsync(context, 200, _store.Modify(key, Manager(context) ?? DefaultUpdateManager, status,
                    live => (JsonObject)MergePatch(live, patch)!)).ConfigureAwait(false);
                return;
            default:
                throw new SimulatedApiException(415, "UnsupportedMediaType", $"the simulation does not support patch content type '{contentType}'");
        }
    }

    /// <summary>RFC 7386 JSON merge patch.</summary>
    private static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target is JsonObject targetObject ? targetObject.DeepClone().AsObject() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null) result.Remove(key);
            else result[key] = MergePatch(result[key], value);
        }
        return result;
    }

    private async Task WatchAsync(HttpContext context, SimulatedResourceType type, string? @namespace)
    {
        var query = context.Request.Query;
        var selector = SimulatedSelector.Parse(query["labelSelector"], query["fieldSelector"]);
        var (initial, live) = _store.Watch(type, query["resourceVersion"]);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        // The watch ends at the client's timeoutSeconds or the server's own lifetime, whichever comes first.
        TimeSpan? lifetime = int.TryParse(query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var timeoutSeconds) && timeoutSeconds > 0
            ? TimeSpan.FromSeconds(timeoutSeconds)
            : null;
        if (WatchLifetime is { } cap && (lifetime is null || cap < lifetime)) lifetime = cap;
        if (lifetime is { } value) stop.CancelAfter(value);
        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(stop.Token).ConfigureAwait(false);
            foreach (var item in initial) await SendAsync(item).ConfigureAwait(false);
            await foreach (var item in live.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false)) await SendAsync(item).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client went away, the timeout passed, or the simulation stops: the watch ends, as a real one does.
        }
        finally
        {
            _store.StopWatch(live);
        }

        async Task SendAsync(SimulatedWatchEvent item)
        {
            if (item.Key.Type != type || (@namespace is not null && item.Key.Namespace != @namespace) || !selector.Matches(item.Object)) return;
            var line = new JsonObject { ["type"] = item.Type, ["object"] = item.Object.DeepClone() }.ToJsonString(Compact) + "\n";
            await context.Response.WriteAsync(line, stop.Token).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(stop.Token).ConfigureAwait(false);
        }
    }

    private static string? Manager(HttpContext context) => context.Request.Query["fieldManager"] is { Count: > 0 } value ? value.ToString() : null;

    private static async Task<JsonObject> ReadJsonAsync(HttpContext context)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<JsonObject>(context.Request.Body).ConfigureAwait(false)
                   ?? throw new SimulatedApiException(400, "BadRequest", "empty body");
        }
        catch (JsonException exception)
        {
            throw new SimulatedApiException(400, "BadRequest", $"error decoding JSON: {exception.Message}");
        }
    }

    private static SimulatedApiException MethodNotAllowed(string method) =>
        new(405, "MethodNotAllowed", $"the server does not allow this method ({method}) on the requested resource");

    private static async Task WriteAsync(HttpContext context, int statusCode, JsonObject body)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(Compact)).ConfigureAwait(false);
    }
}

/// <summary>One request the SIMULATION served: the RBAC verb, API group, resource (plural[/subresource]), namespace and name.</summary>
public sealed record SimulatedRequest(string Verb, string Group, string Resource, string? Namespace, string? Name);
