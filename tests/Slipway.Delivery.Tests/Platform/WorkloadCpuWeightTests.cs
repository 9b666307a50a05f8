using Slipway.Delivery.Platform;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>The containers' parent cgroup gets the weight of every core, on a cgroup tree laid out in a temporary directory.</summary>
public sealed class WorkloadCpuWeightTests
{
    static string Write(string root, string relative, string text)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("cpu,cpuacct")]
    public void On_cgroup_v1_the_docker_cgroup_gets_1024_shares_per_core_created_or_overwritten(string hierarchy)
    {
        using var directory = new TempDirectory();
        Write(directory.Path, $"{hierarchy}/cpu.shares", "1024");

        var applied = WorkloadCpuWeight.Apply(directory.Path, "cgroupfs", "1", cores: 2);

        var file = Path.Combine(directory.Path, hierarchy, "docker", "cpu.shares");
        Assert.Equal((file, "2048"), applied);
        Assert.Equal("2048", File.ReadAllText(file));

        File.WriteAllText(file, "1024");   // the engine's default, e.g. after a reboot
        WorkloadCpuWeight.Apply(directory.Path, "cgroupfs", "1", cores: 4);
        Assert.Equal("4096", File.ReadAllText(file));
    }

    [Fact]
    public void On_cgroup_v2_the_docker_cgroup_gets_a_weight_of_100_per_core_when_the_cpu_controller_is_delegated()
    {
        using var directory = new TempDirectory();
        Write(directory.Path, "cgroup.subtree_control", "cpuset cpu io memory pids\n");

        var applied = WorkloadCpuWeight.Apply(directory.Path, "cgroupfs", "2", cores: 2);

        Assert.Equal((Path.Combine(directory.Path, "docker", "cpu.weight"), "200"), applied);
        Assert.Equal("200", File.ReadAllText(Path.Combine(directory.Path, "docker", "cpu.weight")));
    }

    [Fact]
    public void Nothing_is_written_for_the_systemd_driver_or_without_a_cpu_controller()
    {
        using var directory = new TempDirectory();
        Write(directory.Path, "cpu/cpu.shares", "1024");
        Assert.Null(WorkloadCpuWeight.Apply(directory.Path, "systemd", "1", cores: 2));

        using var v2 = new TempDirectory();
        Write(v2.Path, "cgroup.subtree_control", "memory pids\n");
        Assert.Null(WorkloadCpuWeight.Apply(v2.Path, "cgroupfs", "2", cores: 2));

        using var none = new TempDirectory();
        Assert.Null(WorkloadCpuWeight.Apply(none.Path, "cgroupfs", "1", cores: 2));

        Assert.False(Directory.Exists(Path.Combine(directory.Path, "cpu", "docker")));
        Assert.False(Directory.Exists(Path.Combine(v2.Path, "docker")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(none.Path));
    }
}
