using Slipway.Delivery.ConfigRepo;

namespace Slipway.Delivery.Tests.ConfigRepo;

public sealed class ChangeTrailersTests
{
    [Fact]
    public void A_fix_trailer_round_trips_through_the_parsed_trailers()
    {
        var lines = ChangeTrailers.ToLines("fix", "3f2a9c1d0b7e");
        Assert.Equal(["Slipway-Change-Type: fix", "Slipway-Fix-Of: 3f2a9c1d0b7e"], lines);

        var trailers = lines.Select(line => line.Split(": ", 2)).ToDictionary(parts => parts[0], parts => parts[1]);
        Assert.True(ChangeTrailers.IsFix(trailers));
        Assert.Equal("3f2a9c1d0b7e", ChangeTrailers.FixOf(trailers));
        Assert.False(ChangeTrailers.IsFix(new Dictionary<string, string> { ["Slipway-Change-Type"] = "feature" }));
        Assert.True(ChangeTrailers.IsFix(new Dictionary<string, string> { ["Slipway-Fix-Of"] = "3f2a9c1d0b7e" }));   // implies fix
        Assert.False(ChangeTrailers.IsFix(new Dictionary<string, string>()));
    }

    [Theory]
    [InlineData("Fix", null, "change type 'Fix' is invalid")]
    [InlineData("fix\nSlipway-Environment: production", null, "is invalid")]
    [InlineData("fix", "not-a-commit", "is not a commit id")]
    [InlineData("feature", "3f2a9c1d0b7e", "marks a fix")]
    public void Malformed_values_are_refused_with_the_reason(string changeType, string? fixOf, string expected) =>
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => ChangeTrailers.ToLines(changeType, fixOf)).Message);

    [Fact]
    public void A_deploy_commit_carries_its_change_type_in_the_trailer_block_and_reads_it_back()
    {
        var deploy = new DeploymentTrailers("production", "127.0.0.1:5000/beacon@sha256:" + new string('a', 64), "0123456789abcdef0123456789abcdef01234567",
            new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero), "run-9", ChangeType: "fix", FixOf: "3f2a9c1d0b7e");

        var lines = deploy.ToLines();

        Assert.Equal(["Slipway-Change-Type: fix", "Slipway-Fix-Of: 3f2a9c1d0b7e"], lines.TakeLast(2));
        var parsed = DeploymentTrailers.FromTrailers(lines.Select(line => line.Split(": ", 2)).ToDictionary(parts => parts[0], parts => parts[1]));
        Assert.Equal(deploy, parsed);
        Assert.Equal(5, (deploy with { ChangeType = null, FixOf = null }).ToLines().Count);   // planned work: no change trailers
        Assert.Contains("change type 'Hot Fix' is invalid", Assert.Throws<ArgumentException>(() => (deploy with { ChangeType = "Hot Fix", FixOf = null }).Check()).Message);
    }
}
