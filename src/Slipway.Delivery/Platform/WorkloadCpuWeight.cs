using System.Globalization;
using Slipway.Delivery.Docker;

namespace Slipway.Delivery.Platform;

/// <summary>
/// Gives the engine's containers, together, the CPU weight of all the machine's cores, as the kubelet sizes its kubepods
/// cgroup to the node's allocatable CPU. Docker's cgroupfs driver puts every container under one parent cgroup,
/// <c>docker</c>, with the default weight of a single process: under load, the host's own busy threads (the edge
/// proxying, the engine, the load itself) then outweigh every replica at once, and a replica started by a rollback takes
/// seconds longer to become ready. Only that parent's weight changes; each container's own limits stay as the manifest
/// says. Nothing is done for the systemd driver (each container is its own scope there) or without root.
/// </summary>
public static class WorkloadCpuWeight
{
    /// <summary>The default weight of one process: cgroup v1's cpu.shares and cgroup v2's cpu.weight.</summary>
    const int SharesPerCore = 1024, WeightPerCore = 100;

    /// <summary>Applies the weight to the local engine's container cgroup; never fails the platform (a warning says why not).</summary>
    public static async Task EnsureAsync(DockerEngineState engine, IPlatformHost host, Serilog.ILogger log, CancellationToken cancellationToken)
    {
        // A local engine only: the cgroups of a remote one (DOCKER_HOST=tcp://...) are not on this machine.
        if (!host.IsRoot || engine.Endpoint.Scheme != "unix") return;
        try
        {
            using var client = await DockerEngine.ConnectAsync(engine.Endpoint, cancellationToken);
            var info = await client.System.GetSystemInfoAsync(cancellationToken);
            if (Apply("/sys/fs/cgroup", info.CgroupDriver, info.CgroupVersion, Environment.ProcessorCount) is { } applied)
                log.Information("Containers weigh as {Cores} cores together ({File} = {Value}), as kubepods do; Docker's default weighs them as one process",
                    Environment.ProcessorCount, applied.File, applied.Value);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or DockerUnavailableException)
        {
            log.Warning("Containers keep Docker's default CPU weight (one process for all of them): {Reason}", exception.Message);
        }
    }

    /// <summary>
    /// Writes the weight of <paramref name="cores"/> cores into the engine's parent cgroup under <paramref name="cgroupRoot"/>
    /// (created when missing: the engine adopts it at its next container). Returns the file written and its value, or null
    /// when the engine does not use a parent cgroup of its own (systemd driver) or the cpu controller is not there.
    /// </summary>
    public static (string File, string Value)? Apply(string cgroupRoot, string? driver, string? cgroupVersion, int cores)
    {
        if (!string.Equals(driver, "cgroupfs", StringComparison.OrdinalIgnoreCase) || cores < 1) return null;
        string file;
        int value;
        if (cgroupVersion == "2")
        {
            // The cpu controller must be delegated to the root's children for a weight to mean anything.
            var controllers = Path.Combine(cgroupRoot, "cgroup.subtree_control");
            if (!File.Exists(controllers) || !File.ReadAllText(controllers).Split(' ', '\n').Contains("cpu")) return null;
            file = Path.Combine(cgroupRoot, "docker", "cpu.weight");
            value = Math.Min(10_000, WeightPerCore * cores);
        }
        else
        {
            // cgroup v1: the cpu controller's hierarchy, mounted alone or together with cpuacct.
            var hierarchy = new[] { "cpu", "cpu,cpuacct", "cpuacct,cpu" }.Select(name => Path.Combine(cgroupRoot, name))
                .FirstOrDefault(path => File.Exists(Path.Combine(path, "cpu.shares")));
            if (hierarchy is null) return null;
            file = Path.Combine(hierarchy, "docker", "cpu.shares");
            value = SharesPerCore * cores;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var text = value.ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(file, text);
        return (file, text);
    }
}
