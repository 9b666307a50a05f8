namespace Slipway.Build.Tests;

public class ClosingLineTests
{
    /// <summary>Two targets add to one tally; the run ends with the tally's latest line, once.</summary>
    private sealed class Tallying : SlipwayBuild
    {
        int _passed;

        Target Fast => _ => _.Executes(() => Add(3));
        Target Slow => _ => _.DependsOn(Fast).Executes(() => { AddClosingLine("a note"); Add(2); });

        void Add(int passed)
        {
            _passed += passed;
            SetClosingLine("tests", $"tests: {_passed} passed, 0 failed");
        }
    }

    [Fact]
    public async Task A_keyed_closing_line_is_replaced_and_moves_to_the_end()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Tallying(), "Slow");

        var lines = outcome.Output.TrimEnd().Split('\n').Select(line => line.TrimEnd()).ToList();
        Assert.Equal("tests: 5 passed, 0 failed", lines[^1]);
        Assert.Equal("a note", lines[^2]);
        Assert.DoesNotContain("tests: 3 passed, 0 failed", outcome.Output);
    }
}
