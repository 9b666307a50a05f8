using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Tests.Manifests;

/// <summary>ManifestYaml.DeploymentImage: the first container's image from the YAML tree, as the Kubernetes model reads it.</summary>
public sealed class DeploymentImageTests
{
    [Theory]
    [InlineData("staging")]
    [InlineData("production")]
    public void A_rendered_deployment_gives_the_image_the_model_reads(string environment)
    {
        var rendered = ManifestRenderer.Render(DeployFolder.Repository, environment, DeployFolder.Image);

        var image = ManifestYaml.DeploymentImage(rendered.Files["deployment.yaml"]);

        Assert.Equal(DeployFolder.Image, image);
        Assert.Equal(EnvironmentManifests.Parse(environment, rendered.Files).Image, image);
    }

    [Theory]
    [InlineData("")]
    [InlineData("kind: Deployment\nspec:\n  replicas: 1\n")]
    [InlineData("spec:\n  template:\n    spec:\n      containers: []\n")]
    [InlineData("spec:\n  template:\n    spec:\n      containers:\n        - name: beacon\n")]
    [InlineData("spec: [unclosed\n")]
    [InlineData("a: &x registry/app@sha256:00\nspec:\n  template:\n    spec:\n      containers:\n        - image: *x\n")]
    [InlineData("spec:\n  template:\n    spec:\n      containers:\n        - image: one\n---\nspec: {}\n")]
    public void A_deployment_without_one_plain_image_gives_none(string yaml) =>
        Assert.Null(ManifestYaml.DeploymentImage(yaml));
}
