using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.GitHub;

namespace Slipway.Delivery.Tests.GitHub;

public sealed class PromotionPullRequestBodyTests
{
    private static readonly DeploymentTrailers Trailers = GitHubSimulationFixture.Trailers();

    [Fact]
    public void A_diff_containing_a_fence_cannot_close_the_body_s_code_block()
    {
        var body = PromotionPullRequestBody.Render(new PromotionPullRequestRequest("b", "main", "t", Trailers,
            "+ script: |\n+   ```\n+   echo hi\n+   ```", PromotionEvidence.None));

        Assert.Contains("````diff\n+ script: |", body.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("No smoke test results were recorded.", body, StringComparison.Ordinal);
        Assert.Contains("No canary analysis ran for this promotion.", body, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_canary_is_shown_as_failed()
    {
        var body = PromotionPullRequestBody.Render(new PromotionPullRequestRequest("b", "main", "t", Trailers, "d", new PromotionEvidence
        {
            CanaryAnalysis = new CanaryAnalysisEvidence(false, [new CanaryMeasurement(25, "error rate", 0.2, 0.001, 0.01, false)]),
        }));

        Assert.Contains("Result: **failed**", body, StringComparison.Ordinal);
        Assert.Contains("| 25% | error rate | 0.2 | 0.001 | 0.01 | ❌ failed |", body, StringComparison.Ordinal);
    }

    [Fact]
    public void The_supply_chain_section_links_the_signature_SBOM_provenance_and_ContainerTest_results_in_the_registry()
    {
        var image = Slipway.Delivery.Oci.ImageReference.Parse(GitHubSimulationFixture.Image);
        var body = PromotionPullRequestBody.Render(new PromotionPullRequestRequest("b", "main", "t", Trailers, "d", new PromotionEvidence
        {
            SupplyChain = Slipway.Delivery.SupplyChain.SupplyChainEvidence.For(image),
        }));

        var hex = GitHubSimulationFixture.Digest["sha256:".Length..];
        Assert.Contains($"- signature: [`{image.Name}:sha256-{hex}.sig`](http://{image.Registry}/v2/{image.Repository}/manifests/sha256-{hex}.sig)", body, StringComparison.Ordinal);
        Assert.Contains($"- SBOM (CycloneDX): [`{image.Name}:sha256-{hex}.att`]", body, StringComparison.Ordinal);
        Assert.Contains("predicate type `https://slsa.dev/provenance/v1`", body, StringComparison.Ordinal);
        Assert.Contains("- ContainerTest results: ", body, StringComparison.Ordinal);
        Assert.Contains("No signature or attestations were recorded.",
            PromotionPullRequestBody.Render(new PromotionPullRequestRequest("b", "main", "t", Trailers, "d", PromotionEvidence.None)), StringComparison.Ordinal);
    }

    [Fact]
    public void Branch_names_carry_the_environment_and_the_short_digest()
    {
        Assert.Equal("slipway/promote-production-4f1c2b3a4d5e", PromotionBranch.For("production", GitHubSimulationFixture.Image));
        Assert.Equal("4f1c2b3a4d5e", PromotionBranch.ShortDigest(GitHubSimulationFixture.Digest));
    }
}
