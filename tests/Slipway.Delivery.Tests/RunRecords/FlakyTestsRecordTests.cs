using System.Text.Json;
using Slipway.Delivery.RunRecords;

namespace Slipway.Delivery.Tests.RunRecords;

/// <summary>
/// A run record keeps the run's flaky tests, so a flaky test stays visible over time, and where its image's attestations
/// are; only method names and attestation references fit.
/// </summary>
public sealed class FlakyTestsRecordTests
{
    private static RunRecord Record(IReadOnlyList<string>? flaky) => new("run-1", "local", DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(3),
        RunResult.Succeeded, null, null, null, [], flaky);

    [Fact]
    public void Flaky_test_methods_round_trip_through_the_record_json()
    {
        var record = Record(["Beacon.Tests.FaultTests.Invalid_faults_at_start_are_an_error_naming_the_key", "Outer+Inner.Case"]);
        record.Check();

        var json = JsonSerializer.Serialize(record, SlipwayJson.Compact);
        var read = JsonSerializer.Deserialize<RunRecord>(json, SlipwayJson.Compact)!;

        Assert.Contains("\"flakyTests\":[\"Beacon.Tests.FaultTests.Invalid_faults_at_start_are_an_error_naming_the_key\"", json);
        Assert.Equal(record.FlakyTests, read.FlakyTests);
    }

    [Fact]
    public void A_record_without_flaky_tests_leaves_the_field_out()
    {
        Assert.DoesNotContain("flakyTests", JsonSerializer.Serialize(Record(null), SlipwayJson.Compact));
    }

    [Fact]
    public void The_attestations_reference_round_trips_and_anything_else_there_is_refused()
    {
        var attestations = "127.0.0.1:5000/beacon:sha256-" + new string('a', 64) + ".att";
        var record = Record(null) with { Attestations = attestations };
        record.Check();

        var json = JsonSerializer.Serialize(record, SlipwayJson.Compact);
        Assert.Equal(attestations, JsonSerializer.Deserialize<RunRecord>(json, SlipwayJson.Compact)!.Attestations);
        Assert.DoesNotContain("attestations", JsonSerializer.Serialize(Record(null), SlipwayJson.Compact));
        var problem = Assert.Throws<ArgumentException>(() => (Record(null) with { Attestations = "see the SBOM on the wiki" }).Check());
        Assert.Contains("is not a reference to an image's attestations", problem.Message);
    }

    [Fact]
    public void Free_text_is_refused_as_a_flaky_test_and_masking_reaches_the_field()
    {
        var problem = Assert.Throws<ArgumentException>(() => Record(["Tests.Case(key: \"a b\")"]).Check());
        Assert.Contains("is not a test method name", problem.Message);

        var masked = Record(["Tests.hunter2"]).Masked(text => text.Replace("hunter2", "x", StringComparison.Ordinal));
        Assert.Equal(["Tests.x"], masked.FlakyTests);
    }
}
