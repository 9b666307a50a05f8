using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Slipway.Delivery.ContainerTesting;

public enum CheckCategory { Functional, Security, Compliance, Performance }

/// <summary>One check's outcome. <paramref name="Detail"/> never holds a secret value, only names.</summary>
public sealed record ContainerCheck(
    [property: JsonConverter(typeof(JsonStringEnumConverter<CheckCategory>))] CheckCategory Category,
    string Name, bool Passed, string Detail);

/// <summary>The bounded load's figures, in milliseconds.</summary>
public sealed record LoadFigures(int Requests, int Concurrency, int Errors, double P50Ms, double P95Ms, double P99Ms, double MaxMs, double RequestsPerSecond);

/// <summary>What ContainerTest found; also written to container-test.json.</summary>
public sealed record ContainerTestReport(
    string Image,
    string LocalImageId,
    string? ContainerId,
    IReadOnlyList<ContainerCheck> Checks,
    LoadFigures? Load,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    bool ContainerRemoved)
{
    public const string FileName = "container-test.json";

    public bool Passed => Checks.Count > 0 && Checks.All(check => check.Passed);

    public IEnumerable<ContainerCheck> Failures => Checks.Where(check => !check.Passed);

    /// <summary>A table of the checks (and the load figures) for the console.</summary>
    public IRenderable ToTable()
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"Container test of {Markup.Escape(Image)}");
        table.AddColumn("Category").AddColumn("Check").AddColumn("Result").AddColumn("Detail");
        foreach (var check in Checks)
            table.AddRow(check.Category.ToString(), Markup.Escape(check.Name), check.Passed ? "[green]pass[/]" : "[red]FAIL[/]", Markup.Escape(check.Detail));
        if (Load is { } load)
            table.Caption($"{load.Requests} requests at {load.Concurrency} concurrent: p50 {load.P50Ms:0.0} ms, p95 {load.P95Ms:0.0} ms, " +
                          $"p99 {load.P99Ms:0.0} ms, {load.RequestsPerSecond:0} req/s, {load.Errors} errors");
        return table;
    }

    /// <summary>The table as plain text (for a log line).</summary>
    public string ToText(int width = 160)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        console.Write(ToTable());
        return writer.ToString();
    }

    public async Task WriteAsync(string path, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var document = new
        {
            image = Image, localImageId = LocalImageId, containerId = ContainerId, passed = Passed, containerRemoved = ContainerRemoved,
            startedAt = StartedAt, durationSeconds = Math.Round(Duration.TotalSeconds, 3), checks = Checks, load = Load,
        };
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(document, Json) + "\n", cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}

/// <summary>ContainerTest found failing checks; <see cref="Report"/> has them all.</summary>
public sealed class ContainerTestFailedException(ContainerTestReport report) : Exception(
    $"Container test of {report.Image} failed: " +
    string.Join("; ", report.Failures.Select(check => $"{check.Category}/{check.Name}: {check.Detail}")))
{
    public ContainerTestReport Report { get; } = report;
}
