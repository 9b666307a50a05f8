using k8s;

namespace Slipway.Delivery.Kubernetes;

/// <summary>Where the cluster's configuration comes from. All null/false: KUBECONFIG, then ~/.kube/config, then in-cluster.</summary>
/// <param name="KubeconfigPath">An explicit kubeconfig file (wins over KUBECONFIG).</param>
/// <param name="Context">The kubeconfig context to use (its current-context when null).</param>
/// <param name="InCluster">Use the pod's service account (the agent running inside the cluster).</param>
public sealed record KubernetesConnectionOptions(string? KubeconfigPath = null, string? Context = null, bool InCluster = false);

/// <summary>Resolves a <see cref="KubernetesClientConfiguration"/> under a <see cref="KubeconfigPolicy"/>.</summary>
public sealed class KubernetesConnection
{
    private readonly Func<string, string?> _environment;
    private readonly string _homeDirectory;
    private readonly Func<bool> _isInCluster;

    /// <param name="environment">Reads environment variables (KUBECONFIG); the process environment when null.</param>
    /// <param name="homeDirectory">The user's home (for ~/.kube/config); the current user's when null.</param>
    /// <param name="isInCluster">Whether a service account is mounted; KubernetesClient's check when null.</param>
    public KubernetesConnection(Func<string, string?>? environment = null, string? homeDirectory = null, Func<bool>? isInCluster = null)
    {
        _environment = environment ?? System.Environment.GetEnvironmentVariable;
        _homeDirectory = homeDirectory ?? System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
        _isInCluster = isInCluster ?? KubernetesClientConfiguration.IsInCluster;
    }

    /// <summary>Finds the configuration. The policy is checked before any credential is read.</summary>
    /// <exception cref="KubeconfigPolicyException">The policy forbids reading a cluster credential.</exception>
    /// <exception cref="KubernetesConfigurationException">No configuration found, or the kubeconfig/context is invalid.</exception>
    public KubernetesClientConfiguration Resolve(KubernetesConnectionOptions options, KubeconfigPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(policy);
        if (options.InCluster)
        {
            policy.EnsureMayRead("the in-cluster service account token");
            return InCluster();
        }

        var path = KubeconfigPath(options);
        if (path is not null)
        {
            policy.EnsureMayRead($"kubeconfig {path}");
            try
            {
                return KubernetesClientConfiguration.BuildConfigFromConfigFile(path, options.Context);
            }
            catch (Exception exception) when (exception is k8s.Exceptions.KubeConfigException or IOException or YamlDotNet.Core.YamlException)
            {
                throw new KubernetesConfigurationException(
                    $"kubeconfig {path}{(options.Context is null ? "" : $" (context '{options.Context}')")} cannot be used: {exception.Message}; " +
                    "check the file (kubectl config view) and the context name (kubectl config get-contexts)", exception);
            }
        }
        if (_isInCluster())
        {
            policy.EnsureMayRead("the in-cluster service account token");
            return InCluster();
        }
        throw new KubernetesConfigurationException(
            $"no Kubernetes configuration: KUBECONFIG is not set, {DefaultKubeconfig} does not exist and this process is not in a cluster; " +
            "pass a kubeconfig path (and context) or set KUBECONFIG");
    }

    /// <summary>Creates a client for the resolved configuration.</summary>
    public IKubernetes CreateClient(KubernetesConnectionOptions options, KubeconfigPolicy policy) =>
        new k8s.Kubernetes(Resolve(options, policy));

    private string DefaultKubeconfig => Path.Combine(_homeDirectory, ".kube", "config");

    /// <summary>The kubeconfig file to use, without reading it: explicit path, first existing KUBECONFIG entry, ~/.kube/config.</summary>
    private string? KubeconfigPath(KubernetesConnectionOptions options)
    {
        if (options.KubeconfigPath is { } explicitPath) return explicitPath;
        if (_environment("KUBECONFIG") is { Length: > 0 } list)
        {
            // KUBECONFIG may list several files (':'-separated); KubernetesClient reads one, so the first that exists.
            var entries = list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
            return entries.FirstOrDefault(File.Exists) ?? entries[0];
        }
        return File.Exists(DefaultKubeconfig) ? DefaultKubeconfig : null;
    }

    private static KubernetesClientConfiguration InCluster()
    {
        try
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }
        catch (Exception exception) when (exception is k8s.Exceptions.KubeConfigException or IOException)
        {
            throw new KubernetesConfigurationException(
                $"in-cluster configuration failed: {exception.Message}; run inside a pod with a service account, or pass a kubeconfig", exception);
        }
    }
}

/// <summary>The cluster configuration is missing or unusable.</summary>
public sealed class KubernetesConfigurationException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
