using System.Text.Json.Nodes;
using WireMock.RequestBuilders;

namespace Slipway.Delivery.Tests.GitHub;

/// <summary>The simulation's deployment listings for Metrics: Slipway's payload, and a listing served in linked pages.</summary>
public sealed partial class GitHubApiSimulation
{
    /// <summary>The payload Slipway's deployments carry (GitHubDelivery.StartDeploymentAsync writes these keys).</summary>
    public static JsonObject SlipwayPayload(string configCommit, string image, string sourceCommit, string sourceTime, string run, string? rollbackOf = null)
    {
        var payload = new JsonObject
        {
            ["image"] = image,
            ["digest"] = image[(image.LastIndexOf('@') + 1)..],
            ["config_commit"] = configCommit,
            ["source_commit"] = sourceCommit,
            ["source_time"] = sourceTime,
            ["source_repository"] = $"{Owner}/{SourceRepo}",
            ["run"] = run,
        };
        if (rollbackOf is not null) payload["rollback_of"] = rollbackOf;
        return payload;
    }

    /// <summary>
    /// GET /deployments?environment=… answered in pages of <paramref name="pageSize"/> (newest first, as given), each page
    /// with GitHub's Link header (rel="next" and rel="last" while more follow), so a client has to follow the links.
    /// </summary>
    public void DeploymentPages(string environment, int pageSize, params JsonObject[] deployments)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var pages = deployments.Chunk(pageSize).ToList();
        var path = $"{RepoPath()}/deployments";
        string Link(int page) => $"{server.Url}{path}?environment={environment}&per_page={pageSize}&page={page}";
        for (var number = 1; number <= pages.Count; number++)
        {
            var request = Request.Create().WithPath(path).WithParam("environment", environment).UsingGet();
            // The first page is asked for without page=; later pages by the links, which name their page.
            if (number > 1) request = request.WithParam("page", number.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var response = Respond(200, new JsonArray(pages[number - 1].Select(deployment => (JsonNode)deployment.DeepClone()).ToArray()));
            if (number < pages.Count)
                response = response.WithHeader("Link", $"<{Link(number + 1)}>; rel=\"next\", <{Link(pages.Count)}>; rel=\"last\"");
            // A page= mapping must win over the first page's, which matches any page too.
            server.Given(request).AtPriority(number == 1 ? 10 : 1).RespondWith(response);
        }
    }
}
