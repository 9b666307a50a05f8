using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Promotion;
using Spectre.Console;

namespace Slipway.Delivery.Tests.Promotion;

/// <summary>The rollout table Promote prints, rendered as plain text the way the build log receives it.</summary>
public sealed class RolloutTableTests
{
    private static string Render(Spectre.Console.Rendering.IRenderable renderable)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        console.Write(renderable);
        return writer.ToString();
    }

    [Fact]
    public void An_aborted_canary_shows_every_gate_and_window_with_its_verdict_the_reason_and_the_revert()
    {
        var started = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        var rollout = new RolloutStatus("canary", RolloutPhase.Aborted, new string('1', 40), "sha256:" + new string('b', 64), "sha256:" + new string('a', 64),
            2, 3, 25, null,
            [
                new AnalysisResult(1, 10, started.AddSeconds(10), 120, 0, 12, 480, 0, 11, AnalysisVerdict.Passed, "within thresholds"),
                new AnalysisResult(2, 25, started.AddSeconds(20), 90, 0.2, 15, 300, 0, 12, AnalysisVerdict.Failed, "error rate 20.00% > 1.00%"),
            ],
            [new GateResult("load-test", 200, true, "200 OK", started)],
            "canary analysis failed at 25%", new string('4', 40), started, started.AddSeconds(21));

        var text = Render(RolloutTable.Render("production", rollout));

        Assert.Contains("canary rollout of production: Aborted", text);
        Assert.Contains("load-test", text);
        Assert.Contains("error rate 20.00% > 1.00%", text);
        Assert.Contains("failed", text);
        Assert.Contains("passed", text);
        Assert.Contains("90 req, 20.00%, p95 15 ms", text);
        Assert.Contains("reverted by 444444444444", text);
        Assert.Contains("in 21.0 s", text);
    }
}
