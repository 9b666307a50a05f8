using k8s;
using k8s.Autorest;
using k8s.Models;
using Serilog;

namespace Slipway.Delivery.Kubernetes;

/// <summary>Waits for a Deployment's rollout by watching it (not polling), resuming the watch where it left off.</summary>
public sealed class RolloutWatcher(IKubernetes client, ILogger logger)
{
    /// <summary>Returns the complete status, or throws when the rollout fails or <paramref name="timeout"/> passes.</summary>
    /// <exception cref="KubernetesRolloutException">ProgressDeadlineExceeded (with the condition's message), deleted, or timed out.</exception>
    public async Task<RolloutStatus> WaitAsync(string @namespace, string deploymentName, TimeSpan timeout, IProgress<RolloutStatus>? progress = null,
        CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        RolloutStatus? last = null;
        try
        {
            var deployment = await Read(@namespace, deploymentName, deadline.Token).ConfigureAwait(false);
            while (true)
            {
                last = Report(deployment, last, progress);
                if (last.State != RolloutState.Progressing) return Finish(last);

                // Watch from the version just read: every later change arrives as an event; a watch the server closes is resumed.
                var resourceVersion = deployment.Metadata.ResourceVersion;
                try
                {
                    await foreach (var (type, item) in client.AppsV1.WatchListNamespacedDeploymentAsync(@namespace,
                                       fieldSelector: $"metadata.name={deploymentName}", resourceVersion: resourceVersion,
                                       timeoutSeconds: (int)Math.Clamp(timeout.TotalSeconds, 1, 300), cancellationToken: deadline.Token)
                                       .ConfigureAwait(false))
                    {
                        if (type == WatchEventType.Deleted)
                            throw new KubernetesRolloutException($"deployment {@namespace}/{deploymentName} was deleted during its rollout", last);
                        // An ERROR event (e.g. 410 Gone: the version expired) ends this watch; a fresh read starts the next.
                        if (type == WatchEventType.Error) break;
                        if (type is not (WatchEventType.Added or WatchEventType.Modified)) continue;
                        deployment = item;
                        last = Report(deployment, last, progress);
                        if (last.State != RolloutState.Progressing) return Finish(last);
                    }
                }
                catch (Exception exception) when (exception is HttpRequestException or IOException)
                {
                    // A watch the server ends before any event makes KubernetesClient throw (end of stream); so can a dropped
                    // connection. Either way: read afresh and watch again, until the deadline.
                    logger.Debug("Watch of deployment {Namespace}/{Name} ended: {Reason}", @namespace, deploymentName, exception.Message);
                }
                // The watch ended (server timeout, or an error event): read afresh, then watch from that version.
                deployment = await Read(@namespace, deploymentName, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KubernetesRolloutException(
                $"deployment {@namespace}/{deploymentName}: rollout not complete after {timeout.TotalSeconds:0}s; last status: " +
                $"{last?.Message ?? "never read"}", last);
        }
    }

    private async Task<V1Deployment> Read(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.AppsV1.ReadNamespacedDeploymentAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException exception)
        {
            throw KubernetesStatus.Failure($"Deployment {@namespace}/{name}", "read", exception);
        }
    }

    private RolloutStatus Report(V1Deployment deployment, RolloutStatus? previous, IProgress<RolloutStatus>? progress)
    {
        var status = RolloutStatus.Of(deployment);
        if (status == previous) return status;
        logger.Information("Rollout {Message}", status.Message);
        progress?.Report(status);
        return status;
    }

    private static RolloutStatus Finish(RolloutStatus status) =>
        status.State == RolloutState.Failed ? throw new KubernetesRolloutException(status.Message, status) : status;
}
