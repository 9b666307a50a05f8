using Slipway.Delivery.SupplyChain;
using System.Globalization;
using System.Text;

namespace Slipway.Delivery.GitHub;

/// <summary>Renders a promotion pull request's body in GitHub Markdown: the change, the diff, the evidence tables.</summary>
public static class PromotionPullRequestBody
{
    /// <summary>A hidden marker so tools (and Slipway on a re-run) recognise a promotion pull request.</summary>
    public static string Marker(string environment, string image) => $"<!-- slipway:promotion environment={environment} image={image} -->";

    public static string Render(PromotionPullRequestRequest request)
    {
        var trailers = request.Trailers;
        var body = new StringBuilder();
        body.AppendLine(CultureInfo.InvariantCulture, $"## Promote to `{trailers.Environment}`");
        body.AppendLine();
        body.AppendLine("| | |");
        body.AppendLine("|---|---|");
        Row(body, "Environment", Code(trailers.Environment));
        if (request.FromEnvironment is not null) Row(body, "Proven in", Code(request.FromEnvironment));
        Row(body, "Image", Code(trailers.Image));
        Row(body, "Source commit", Code(trailers.SourceCommit));
        Row(body, "Source time", Code(Slipway.Delivery.ConfigRepo.DeploymentTrailers.FormatTime(trailers.SourceTime)));
        Row(body, "Run", Code(trailers.Run));
        if (trailers.RollbackOf is not null) Row(body, "Rollback of", Code(trailers.RollbackOf));

        body.AppendLine();
        body.AppendLine("### Changes");
        body.AppendLine();
        var diff = string.IsNullOrWhiteSpace(request.DiffSummary) ? "(no diff summary given)" : request.DiffSummary.TrimEnd();
        var fence = Fence(diff);
        body.AppendLine(fence + "diff");
        body.AppendLine(diff);
        body.AppendLine(fence);

        body.AppendLine();
        body.AppendLine("### Smoke tests");
        body.AppendLine();
        if (request.Evidence.SmokeTests.Count == 0) body.AppendLine("No smoke test results were recorded.");
        foreach (var smoke in request.Evidence.SmokeTests)
        {
            body.AppendLine(CultureInfo.InvariantCulture,
                $"**{Cell(smoke.Environment)}** at {Cell(smoke.BaseUrl.ToString())}: {(smoke.Passed ? "passed" : "failed")} after {smoke.Rounds} round(s) in {smoke.Duration.TotalSeconds:0.0} s");
            body.AppendLine();
            body.AppendLine("| Check | Result | Expected | Actual |");
            body.AppendLine("|---|---|---|---|");
            foreach (var check in smoke.Checks)
                body.AppendLine(CultureInfo.InvariantCulture,
                    $"| {Cell(check.Name)} | {(check.Passed ? "✅ passed" : "❌ failed")} | {Cell(check.Expected)} | {Cell(check.Actual)} |");
            body.AppendLine();
        }

        body.AppendLine("### Supply chain");
        body.AppendLine();
        if (request.Evidence.SupplyChain is not { } supplyChain) body.AppendLine("No signature or attestations were recorded.");
        else
        {
            body.AppendLine(CultureInfo.InvariantCulture,
                $"- signature: [`{Cell(supplyChain.Signature.ToString())}`]({SupplyChainEvidence.ManifestUrl(supplyChain.Signature)})");
            foreach (var (name, predicateType) in SupplyChainEvidence.Attested)
                body.AppendLine(CultureInfo.InvariantCulture,
                    $"- {name}: [`{Cell(supplyChain.Attestations.ToString())}`]({SupplyChainEvidence.ManifestUrl(supplyChain.Attestations)}), predicate type `{predicateType}`");
        }
        body.AppendLine();

        body.AppendLine("### Canary analysis");
        body.AppendLine();
        if (request.Evidence.CanaryAnalysis is not { } canary) body.AppendLine("No canary analysis ran for this promotion.");
        else
        {
            body.AppendLine(CultureInfo.InvariantCulture, $"Result: **{(canary.Passed ? "passed" : "failed")}**{(canary.Summary is null ? "" : " — " + Cell(canary.Summary))}");
            body.AppendLine();
            body.AppendLine("| Step | Metric | Canary | Stable | Threshold | Result |");
            body.AppendLine("|---|---|---|---|---|---|");
            foreach (var measurement in canary.Measurements)
                body.AppendLine(CultureInfo.InvariantCulture,
                    $"| {measurement.Weight}% | {Cell(measurement.Metric)} | {Number(measurement.Canary)} | {(measurement.Stable is { } stable ? Number(stable) : "–")} | {Number(measurement.Threshold)} | {(measurement.Passed ? "✅ passed" : "❌ failed")} |");
        }

        body.AppendLine();
        body.AppendLine("### Approval");
        body.AppendLine();
        body.AppendLine("An **approving review** promotes this change (merging it is Slipway's job); **requesting changes** rejects it. " +
                        "Slipway waits for a review for a bounded time.");
        body.AppendLine();
        body.AppendLine(Marker(trailers.Environment, trailers.Image));
        return body.ToString();
    }

    private static void Row(StringBuilder body, string name, string value) => body.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");

    private static string Code(string text) => $"`{Cell(text).Replace("`", "'", StringComparison.Ordinal)}`";

    /// <summary>A table cell: one line, pipes escaped.</summary>
    private static string Cell(string text) =>
        text.Replace("\r", "", StringComparison.Ordinal).Replace('\n', ' ').Replace("|", "\\|", StringComparison.Ordinal);

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>A code fence longer than any backtick run inside the text, so the diff cannot close it.</summary>
    private static string Fence(string text)
    {
        int longest = 0, run = 0;
        foreach (var character in text)
        {
            run = character == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return new string('`', Math.Max(3, longest + 1));
    }
}
