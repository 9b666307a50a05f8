using Slipway.Delivery.AgentApi;
using Spectre.Console;

namespace Slipway.Delivery.Promotion;

/// <summary>A rollout as the agent reported it, as a Spectre.Console table: gates, then one row per analysis window.</summary>
public static class RolloutTable
{
    public static Table Render(string environment, RolloutStatus rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        var table = new Table()
            .Title($"{Markup.Escape(rollout.Strategy)} rollout of {Markup.Escape(environment)}: {rollout.Phase}")
            .AddColumns("Step", "Weight", "Check", "Canary", "Stable", "Verdict", "Reason");
        foreach (var gate in rollout.Gates)
            table.AddRow("gate", "", Markup.Escape(gate.Name), gate.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no answer", "",
                gate.Passed ? "[green]passed[/]" : "[red]failed[/]", Markup.Escape(gate.Message));
        foreach (var analysis in rollout.Analysis)
            table.AddRow(
                analysis.Step.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"{analysis.CanaryWeight}%",
                "errors / p95",
                Markup.Escape(Figures(analysis.CanaryRequests, analysis.CanaryErrorRate, analysis.CanaryP95Ms)),
                Markup.Escape(Figures(analysis.StableRequests, analysis.StableErrorRate, analysis.StableP95Ms)),
                analysis.Verdict switch
                {
                    AnalysisVerdict.Passed => "[green]passed[/]",
                    AnalysisVerdict.Failed => "[red]failed[/]",
                    _ => "[yellow]inconclusive[/]",
                },
                Markup.Escape(analysis.Reason));
        if (rollout.Gates.Count == 0 && rollout.Analysis.Count == 0)
            table.AddRow($"{rollout.Step}/{rollout.StepCount}", $"{rollout.CanaryWeight}%", "", "", "", rollout.Phase.ToString(), Markup.Escape(rollout.Message ?? ""));
        var took = rollout.FinishedAt is { } finished ? $" in {(finished - rollout.StartedAt).TotalSeconds:0.0} s" : "";
        table.Caption(Markup.Escape($"revision {Short(rollout.Revision)}, image {rollout.ImageDigest ?? "?"} (stable {rollout.StableImageDigest ?? "none"}){took}" +
                                    (rollout.RollbackRevision is { } revert ? $", reverted by {Short(revert)}" : "") +
                                    (rollout.Message is { } message ? $": {message}" : "")));
        return table;
    }

    private static string Figures(long requests, double errorRate, double? p95) =>
        FormattableString.Invariant($"{requests} req, {errorRate * 100:0.00}%, p95 {(p95 is { } ms ? FormattableString.Invariant($"{ms:0} ms") : "n/a")}");

    private static string Short(string revision) => revision[..Math.Min(12, revision.Length)];
}
