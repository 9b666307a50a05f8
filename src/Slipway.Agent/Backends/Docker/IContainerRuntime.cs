namespace Slipway.Agent.Backends.Docker;

/// <summary>
/// The container engine as the Docker backend and its rollout strategies use it: labelled containers listed, created
/// and started, stopped and removed. <see cref="DockerContainerRuntime"/> drives a real Docker engine; the fast tests
/// drive an in-memory one, so the strategies' decisions are tested without starting a container.
/// </summary>
public interface IContainerRuntime
{
    /// <summary>Every container (running or not) carrying all of <paramref name="labels"/>, and named <paramref name="name"/> when given.</summary>
    Task<IReadOnlyList<ManagedContainer>> ListAsync(IReadOnlyDictionary<string, string> labels, string? name, CancellationToken cancellationToken);

    /// <summary>The container as the engine reports it now; null when it is gone.</summary>
    Task<ManagedContainer?> InspectAsync(string id, CancellationToken cancellationToken);

    /// <summary>Pulls <paramref name="image"/> (pinned by digest) unless the engine has it; throws <see cref="InvalidOperationException"/> when it cannot.</summary>
    Task EnsureImageAsync(string image, ILogger log, CancellationToken cancellationToken);

    /// <summary>Creates and starts a container; throws <see cref="ContainerRuntimeException"/> when the engine refuses either.</summary>
    Task<ManagedContainer> CreateAndStartAsync(ContainerDefinition definition, CancellationToken cancellationToken);

    /// <summary>A graceful stop, then removal; a container already gone is not an error.</summary>
    Task StopAndRemoveAsync(string id, CancellationToken cancellationToken);

    /// <summary>Removal without a graceful stop; a container already gone is not an error.</summary>
    Task RemoveAsync(string id, CancellationToken cancellationToken);

    /// <summary>The container's last log lines (for a failed start's message); "(unavailable)" when they cannot be read.</summary>
    Task<string> TailLogsAsync(string id, CancellationToken cancellationToken);
}

/// <summary>What a replica container is made of, in the engine's terms.</summary>
/// <param name="Binds">host-directory:container-path:ro mounts.</param>
/// <param name="Tmpfs">Writable in-memory directories (emptyDir, and /tmp under a read-only root).</param>
public sealed record ContainerDefinition(
    string Name,
    string Image,
    IReadOnlyList<string> Env,
    string? User,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<int> ContainerPorts,
    IReadOnlyList<string> Binds,
    IReadOnlyList<string> Tmpfs,
    long? MemoryBytes,
    long? NanoCpus,
    bool ReadOnlyRootFilesystem,
    bool NoNewPrivileges,
    bool DropAllCapabilities);

/// <summary>The engine refused an operation; <see cref="Exception.Message"/> is its answer.</summary>
public sealed class ContainerRuntimeException(string message, Exception? inner = null) : Exception(message, inner);
