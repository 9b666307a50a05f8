using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Serilog;

namespace Slipway.Delivery.Kubernetes.GitOpsEngines;

/// <summary>
/// Waits until one custom resource reports the expected revision, through KubernetesClient's generic API: a watch of the
/// namespace (which starts with the current state of each object), resumed if the server ends it.
/// </summary>
public abstract class CustomResourceWaiter<T>(IKubernetes client, ILogger logger, string group, string version, string plural, string kind)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>Reads the object's status for <paramref name="expectedRevision"/> (the config repo commit).</summary>
    public abstract GitOpsEngineStatus Evaluate(T item, string expectedRevision);

    /// <summary>Returns when the engine reports the revision applied and healthy.</summary>
    /// <exception cref="GitOpsEngineWaitException">The engine reports a failure, the object is missing, or the timeout passes.</exception>
    public async Task<GitOpsEngineStatus> WaitAsync(string @namespace, string name, string expectedRevision, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(expectedRevision);
        using var generic = new GenericClient(client, group, version, plural, disposeClient: false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        GitOpsEngineStatus? last = null;
        var description = $"{kind} {@namespace}/{name}";
        try
        {
            await ReadOrThrowIfMissingAsync(generic, @namespace, name, description, deadline.Token).ConfigureAwait(false);
            while (true)
            {
                try
                {
                    await foreach (var (type, item) in generic.WatchNamespacedAsync<T>(@namespace, cancel: deadline.Token).ConfigureAwait(false))
                    {
                        if (item?.Metadata?.Name != name) continue;
                        if (type == WatchEventType.Deleted)
                            throw new GitOpsEngineWaitException($"{description} was deleted while waiting for revision {expectedRevision}", last);
                        if (type is not (WatchEventType.Added or WatchEventType.Modified)) continue;
                        var status = Evaluate(item, expectedRevision);
                        if (status != last) logger.Information("{Object}: {Message}", description, status.Message);
                        last = status;
                        switch (status.State)
                        {
                            case GitOpsEngineState.Succeeded: return status;
                            case GitOpsEngineState.Failed: throw new GitOpsEngineWaitException($"{description}: {status.Message}", status);
                        }
                    }
                }
                catch (Exception exception) when (exception is HttpRequestException or IOException)
                {
                    // Ended before any event (KubernetesClient throws at end of stream) or a dropped connection: watch again.
                    logger.Debug("Watch of {Object} ended: {Reason}", description, exception.Message);
                }
                // The server closed the watch (its timeout); watch again until our own deadline.
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GitOpsEngineWaitException(
                $"{description}: revision {expectedRevision} not applied after {timeout.TotalSeconds:0}s; last status: {last?.Message ?? "none"}", last);
        }
    }

    private static async Task ReadOrThrowIfMissingAsync(GenericClient generic, string @namespace, string name, string description, CancellationToken cancellationToken)
    {
        try
        {
            await generic.ReadNamespacedAsync<T>(@namespace, name, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException exception) when (exception.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new GitOpsEngineWaitException(
                $"{description} does not exist: create it from deploy/kubernetes/ (it must point at the environment's folder of the config repo)", null);
        }
    }

    /// <summary>True when <paramref name="reported"/> names the commit <paramref name="expected"/> (full or abbreviated SHA).</summary>
    protected static bool SameCommit(string? reported, string expected) =>
        reported is not null && (reported == expected || (expected.Length >= 7 && reported.StartsWith(expected, StringComparison.OrdinalIgnoreCase)));
}
