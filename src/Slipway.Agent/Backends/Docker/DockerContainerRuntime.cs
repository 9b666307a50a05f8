using Docker.DotNet;
using Docker.DotNet.Models;

namespace Slipway.Agent.Backends.Docker;

/// <summary>
/// <see cref="IContainerRuntime"/> on a real Docker engine through Docker.DotNet; replicas publish their ports on random
/// 127.0.0.1 ports, each environment on a Docker network of its own (never the default bridge), with a pids limit.
/// </summary>
public sealed class DockerContainerRuntime(DockerClient docker) : IContainerRuntime
{
    /// <summary>The most processes (threads included) a replica may run: a fork bomb stays inside its container.</summary>
    public const long PidsLimit = 512;

    /// <summary>The Docker network of an agent instance's environment.</summary>
    public static string NetworkName(string instance, string environment) => $"{instance}-{environment}";

    public async Task<IReadOnlyList<ManagedContainer>> ListAsync(IReadOnlyDictionary<string, string> labels, string? name, CancellationToken cancellationToken)
    {
        var filters = new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = labels.ToDictionary(label => $"{label.Key}={label.Value}", _ => true),
        };
        if (name is not null) filters["name"] = new Dictionary<string, bool> { [$"^/{name}$"] = true };
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filters }, cancellationToken);
        return containers.Select(ManagedContainer.From).ToList();
    }

    public async Task<ManagedContainer?> InspectAsync(string id, CancellationToken cancellationToken)
    {
        // Listing by id gives the same shape (labels, published ports) as every other listing.
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["id"] = new Dictionary<string, bool> { [id] = true } },
        }, cancellationToken);
        return containers.Select(ManagedContainer.From).FirstOrDefault();
    }

    public async Task EnsureImageAsync(string image, ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Images.InspectImageAsync(image, cancellationToken);
            return;
        }
        catch (DockerImageNotFoundException)
        {
        }
        log.Information("Pulling {Image}", image);
        var errors = new List<string>();
        // The engine pulls with the registry's credentials from $DOCKER_CONFIG/config.json (the platform's), when it has some.
        var reference = Slipway.Delivery.Oci.ImageReference.Parse(image);
        var registry = reference.Registry;
        var credentials = Slipway.Delivery.Registry.DockerConfigCredentials.Find(registry);
        var auth = credentials is null ? null : new AuthConfig { Username = credentials.Username, Password = credentials.Password, ServerAddress = registry };
        await docker.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = reference.Name, Tag = reference.ManifestReference }, auth,
            new Progress<JSONMessage>(m => { if (m.Error?.Message is { } message) errors.Add(message); }), cancellationToken);
        try
        {
            await docker.Images.InspectImageAsync(image, cancellationToken);
        }
        catch (DockerImageNotFoundException)
        {
            throw new InvalidOperationException($"Could not pull {image}: {string.Join("; ", errors)}. Push the image to that registry, or fix the digest in the config repo.");
        }
    }

    public async Task<ManagedContainer> CreateAndStartAsync(ContainerDefinition definition, CancellationToken cancellationToken)
    {
        var network = await EnsureNetworkAsync(definition.Labels, cancellationToken);
        var parameters = new CreateContainerParameters
        {
            Name = definition.Name,
            Image = definition.Image,
            Env = definition.Env.ToList(),
            User = definition.User ?? "",
            ExposedPorts = definition.ContainerPorts.ToDictionary(p => $"{p}/tcp", _ => new EmptyStruct()),
            Labels = definition.Labels.ToDictionary(),
            HostConfig = new HostConfig
            {
                PortBindings = definition.ContainerPorts.ToDictionary(p => $"{p}/tcp",
                    _ => (IList<PortBinding>)[new PortBinding { HostIP = "127.0.0.1", HostPort = "" }]),
                Binds = definition.Binds.ToList(),
                Memory = definition.MemoryBytes ?? 0,
                NanoCPUs = definition.NanoCpus ?? 0,
                ReadonlyRootfs = definition.ReadOnlyRootFilesystem,
                Tmpfs = definition.Tmpfs.ToDictionary(path => path, _ => "rw,nosuid,nodev,size=64m,mode=1777"),
                SecurityOpt = definition.NoNewPrivileges ? ["no-new-privileges"] : null!,
                CapDrop = definition.DropAllCapabilities ? ["ALL"] : null!,
                PidsLimit = PidsLimit,
                NetworkMode = network,
            },
        };
        try
        {
            string id;
            try
            {
                id = await CreateAndStartOnceAsync(parameters, cancellationToken);
            }
            catch (DockerApiException exception) when (exception.StatusCode == System.Net.HttpStatusCode.NotFound && ensuredNetworks.TryRemove(network, out _))
            {
                // The network went since this agent made sure of it (docker network prune while the environment ran
                // nothing): made again, and the replica started once more.
                await EnsureNetworkAsync(definition.Labels, cancellationToken);
                id = await CreateAndStartOnceAsync(parameters, cancellationToken);
            }
            return await InspectAsync(id, cancellationToken)
                   ?? throw new ContainerRuntimeException($"container {definition.Name} vanished right after it started");
        }
        catch (DockerApiException exception)
        {
            throw new ContainerRuntimeException(exception.ResponseBody?.Trim() ?? exception.Message, exception);
        }
    }

    /// <summary>Creates and starts the container; one that does not start is removed again, so its name is free.</summary>
    async Task<string> CreateAndStartOnceAsync(CreateContainerParameters parameters, CancellationToken cancellationToken)
    {
        var created = await docker.Containers.CreateContainerAsync(parameters, cancellationToken);
        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
        }
        catch (DockerApiException)
        {
            await RemoveAsync(created.ID, CancellationToken.None);
            throw;
        }
        return created.ID;
    }

    // Docker accepts two networks of one name: replicas starting together must not both create it.
    readonly SemaphoreSlim networkGate = new(1, 1);

    // Networks this agent has made sure of: a replica's start asks the engine for its network once, not at every start
    // (under load each question is a queue behind the other replicas' starts).
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> ensuredNetworks = new(StringComparer.Ordinal);

    /// <summary>The environment's network (created, labelled with the agent instance, when missing).</summary>
    async Task<string> EnsureNetworkAsync(IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var instance = labels.GetValueOrDefault(Slipway.Delivery.AgentApi.AgentLabels.Agent, "slipway");
        var environment = labels.GetValueOrDefault(Slipway.Delivery.AgentApi.AgentLabels.Environment, "default");
        var name = NetworkName(instance, environment);
        if (ensuredNetworks.ContainsKey(name)) return name;
        await networkGate.WaitAsync(cancellationToken);
        try
        {
            if (ensuredNetworks.ContainsKey(name)) return name;
            await EnsureNetworkAsync(name, instance, environment, cancellationToken);
            ensuredNetworks[name] = true;
            return name;
        }
        finally
        {
            networkGate.Release();
        }
    }

    async Task<string> EnsureNetworkAsync(string name, string instance, string environment, CancellationToken cancellationToken)
    {
        var existing = await docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [$"^{name}$"] = true } },
        }, cancellationToken);
        if (existing.Any(n => n.Name == name)) return name;
        try
        {
            await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
            {
                Name = name,
                Driver = "bridge",
                Labels = new Dictionary<string, string>
                {
                    [Slipway.Delivery.AgentApi.AgentLabels.Agent] = instance,
                    [Slipway.Delivery.AgentApi.AgentLabels.Environment] = environment,
                },
            }, cancellationToken);
        }
        catch (DockerApiException exception) when (exception.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // Created meanwhile by another replica's start: the same network.
        }
        return name;
    }

    public async Task StopAndRemoveAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.StopContainerAsync(id, new ContainerStopParameters { WaitBeforeKillSeconds = 10 }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            return;
        }
        await RemoveAsync(id, cancellationToken);
    }

    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    public async Task<string> TailLogsAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            using var stream = await docker.Containers.GetContainerLogsAsync(id,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true, Tail = "10" }, cancellationToken);
            var (stdout, stderr) = await stream.ReadOutputToEndAsync(cancellationToken);
            var text = (stdout + stderr).Trim();
            return text.Length == 0 ? "(none)" : text.Length > 1500 ? text[^1500..] : text;
        }
        catch (DockerApiException)
        {
            return "(unavailable)";
        }
    }
}
