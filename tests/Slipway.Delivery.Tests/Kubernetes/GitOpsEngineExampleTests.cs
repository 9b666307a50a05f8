using Slipway.Delivery.Kubernetes.GitOpsEngines;
using Slipway.Delivery.Tests.Manifests;
using YamlDotNet.RepresentationModel;

namespace Slipway.Delivery.Tests.Kubernetes;

/// <summary>The Flux and Argo CD examples in deploy/kubernetes/ point at environments/&lt;env&gt;/ under the names --wait-for looks for.</summary>
public sealed class GitOpsEngineExampleTests
{
    private static List<YamlMappingNode> Documents(string file)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(DeployFolder.Repository, "kubernetes", file))));
        return stream.Documents.Select(document => (YamlMappingNode)document.RootNode).ToList();
    }

    private static string? Scalar(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out node!)) return null;
        }
        return (node as YamlScalarNode)?.Value;
    }

    [Theory]
    [InlineData("staging")]
    [InlineData("production")]
    public void The_Flux_example_has_a_Kustomization_per_environment_at_its_folder(string environment)
    {
        var (ns, name) = GitOpsEngineNames.DefaultObject(GitOpsEngine.Flux, environment);
        var kustomization = Assert.Single(Documents("flux-kustomization.yaml"),
            document => Scalar(document, "kind") == "Kustomization" && Scalar(document, "metadata", "name") == name);

        Assert.Equal($"{FluxKustomization.Group}/{FluxKustomization.Version}", Scalar(kustomization, "apiVersion"));
        Assert.Equal(ns, Scalar(kustomization, "metadata", "namespace"));
        Assert.Equal($"./environments/{environment}", Scalar(kustomization, "spec", "path"));
        Assert.Equal("true", Scalar(kustomization, "spec", "prune"));
        Assert.Equal("true", Scalar(kustomization, "spec", "wait"));
    }

    [Theory]
    [InlineData("staging")]
    [InlineData("production")]
    public void The_Argo_CD_example_has_an_Application_per_environment_with_its_folder_as_a_directory_source(string environment)
    {
        var (ns, name) = GitOpsEngineNames.DefaultObject(GitOpsEngine.ArgoCd, environment);
        var application = Assert.Single(Documents("argocd-application.yaml"), document => Scalar(document, "metadata", "name") == name);

        Assert.Equal($"{ArgoCdApplication.Group}/{ArgoCdApplication.Version}", Scalar(application, "apiVersion"));
        Assert.Equal(ns, Scalar(application, "metadata", "namespace"));
        Assert.Equal($"environments/{environment}", Scalar(application, "spec", "source", "path"));
        Assert.Equal("false", Scalar(application, "spec", "source", "directory", "recurse"));
        Assert.Equal(environment, Scalar(application, "spec", "destination", "namespace"));
    }
}
