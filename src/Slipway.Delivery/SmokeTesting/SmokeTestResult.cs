using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Slipway.Delivery.SmokeTesting;

public sealed record SmokeCheckResult(string Name, bool Passed, string Expected, string Actual);

/// <summary>The last round of checks (all passed, or the state when time ran out).</summary>
public sealed record SmokeTestResult(
    string Environment,
    Uri BaseUrl,
    bool Passed,
    int Rounds,
    DateTimeOffset StartedAt,
    [property: JsonPropertyName("durationMs")] TimeSpan Duration,
    IReadOnlyList<SmokeCheckResult> Checks)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new TimeSpanMillisecondsConverter() },
    };

    /// <summary>The failed checks, one line each (for an exception message or a summary).</summary>
    public string FailureSummary => string.Join("; ", Checks.Where(check => !check.Passed)
        .Select(check => $"{check.Name}: expected {check.Expected}, got {check.Actual}"));

    public Table ToTable()
    {
        var table = new Table().Title($"Smoke test of {Markup.Escape(Environment)} at {Markup.Escape(BaseUrl.ToString())}")
            .AddColumns("Check", "Result", "Expected", "Actual");
        foreach (var check in Checks)
            table.AddRow(Markup.Escape(check.Name), check.Passed ? "[green]passed[/]" : "[red]failed[/]",
                Markup.Escape(check.Expected), Markup.Escape(check.Actual));
        table.Caption($"{(Passed ? "passed" : "failed")} after {Rounds} round(s) in {Duration.TotalSeconds:0.0} s");
        return table;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Writes smoke-&lt;environment&gt;.json into <paramref name="artifactsDirectory"/> and returns its path.</summary>
    public string WriteArtifact(string artifactsDirectory)
    {
        Directory.CreateDirectory(artifactsDirectory);
        var path = Path.Combine(artifactsDirectory, $"smoke-{Environment}.json");
        File.WriteAllText(path, ToJson() + "\n");
        return path;
    }

    /// <summary>The smoke-&lt;environment&gt;.json last written to <paramref name="artifactsDirectory"/>; null when there is none or it cannot be read.</summary>
    public static SmokeTestResult? ReadArtifact(string artifactsDirectory, string environment)
    {
        var path = Path.Combine(artifactsDirectory, $"smoke-{environment}.json");
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<SmokeTestResult>(File.ReadAllText(path), Json); }
        catch (JsonException) { return null; }
    }

    private sealed class TimeSpanMillisecondsConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TimeSpan.FromMilliseconds(reader.GetDouble());

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(Math.Round(value.TotalMilliseconds));
    }
}
