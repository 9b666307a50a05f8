using Slipway.Delivery.Promotion;

namespace Slipway.Delivery.Tests.Promotion;

/// <summary>The per-machine smoke evidence file SmokeTest appends to and Promote reads.</summary>
public sealed class SmokeEvidenceFileTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "slipway-evidence-" + Guid.NewGuid().ToString("N"));
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Records_append_and_read_back_and_a_torn_line_is_skipped()
    {
        var first = new SmokeEvidence("staging", PromotionSandbox.Image('a'), new string('c', 40), new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero), "run-1");
        await SmokeEvidenceFile.AppendAsync(directory, first, Token);
        await File.AppendAllTextAsync(Path.Combine(directory, SmokeEvidenceFile.FileName), "{\"environment\":\"stag", Token);   // a write cut short
        await File.AppendAllTextAsync(Path.Combine(directory, SmokeEvidenceFile.FileName), "\n", Token);
        var second = first with { Image = PromotionSandbox.Image('b'), Run = "run-2" };
        await SmokeEvidenceFile.AppendAsync(directory, second, Token);

        Assert.Equal([first, second], await SmokeEvidenceFile.ReadAsync(directory, Token));
    }

    [Fact]
    public async Task An_image_not_pinned_by_digest_is_refused()
    {
        var evidence = new SmokeEvidence("staging", "127.0.0.1:5000/beacon:1.2.3", null, DateTimeOffset.UtcNow, "run-1");

        await Assert.ThrowsAsync<ArgumentException>(() => SmokeEvidenceFile.AppendAsync(directory, evidence, Token));
        Assert.Empty(await SmokeEvidenceFile.ReadAsync(directory, Token));
    }

    [Fact]
    public async Task The_finder_matches_environment_and_digest_and_takes_the_latest()
    {
        await SmokeEvidenceFile.AppendAsync(directory, new SmokeEvidence("staging", PromotionSandbox.Image('a'), null, DateTimeOffset.UtcNow, "run-1"), Token);
        await SmokeEvidenceFile.AppendAsync(directory, new SmokeEvidence("staging", PromotionSandbox.Image('a'), null, DateTimeOffset.UtcNow, "run-2"), Token);
        var finder = new SmokeEvidenceFinder(directory, runRecords: null, Serilog.Core.Logger.None);

        Assert.Equal("run-2", (await finder.FindAsync("staging", "sha256:" + new string('a', 64), Token))!.Run);
        Assert.Null(await finder.FindAsync("production", PromotionSandbox.Image('a'), Token));
        Assert.Null(await finder.FindAsync("staging", PromotionSandbox.Image('b'), Token));
    }
}
