using System.Text.RegularExpressions;
using Beacon.Tests.Support;

namespace Beacon.Tests;

public sealed class MetricsTests
{
    static async Task<string> Scrape(HttpClient client) => await client.GetStringAsync("/metrics");

    static double Sample(string exposition, string metric, params (string Label, string Value)[] labels)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith(metric + "{", StringComparison.Ordinal))
                continue;
            if (labels.All(l => line.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return 0;
    }

    [Fact]
    public async Task Exposition_counts_requests_by_route_and_status_with_a_latency_histogram()
    {
        using var host = new BeaconHost(new Dictionary<string, string?> { ["Faults:Enabled"] = "true" });
        using var client = host.CreateClient();
        for (var i = 0; i < 3; i++)
            using (await client.GetAsync("/api/greeting")) { }
        for (var i = 0; i < 2; i++)
            using (await client.GetAsync("/fault/status/503")) { }
        using (await client.GetAsync("/fault/status/404")) { }

        using var response = await client.GetAsync("/metrics");
        var exposition = await response.Content.ReadAsStringAsync();

        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(3, Sample(exposition, "http_requests_received_total", ("code", "200"), ("method", "GET"), ("endpoint", "/api/greeting")));
        Assert.Equal(2, Sample(exposition, "http_requests_received_total", ("code", "503"), ("endpoint", "/fault/status/{code:int}")));
        Assert.Equal(1, Sample(exposition, "http_requests_received_total", ("code", "404"), ("endpoint", "/fault/status/{code:int}")));
        Assert.Contains("# TYPE http_request_duration_seconds histogram", exposition);
        Assert.Equal(3, Sample(exposition, "http_request_duration_seconds_count", ("code", "200"), ("method", "GET"), ("endpoint", "/api/greeting")));
        Assert.Equal(3, Sample(exposition, "http_request_duration_seconds_bucket", ("code", "200"), ("endpoint", "/api/greeting"), ("le", "+Inf")));
        Assert.Matches(new Regex("^process_cpu_seconds_total ", RegexOptions.Multiline), exposition);
    }

    [Fact]
    public async Task Injected_errors_are_counted_with_their_real_status()
    {
        using var host = new BeaconHost(new Dictionary<string, string?> { ["Faults:Enabled"] = "true", ["Faults:ErrorRate"] = "1" });
        using var client = host.CreateClient();
        for (var i = 0; i < 4; i++)
            using (await client.GetAsync("/api/greeting")) { }

        var exposition = await Scrape(client);

        Assert.Equal(4, Sample(exposition, "http_requests_received_total", ("code", "500"), ("endpoint", "/api/greeting")));
        Assert.Equal(0, Sample(exposition, "http_requests_received_total", ("code", "200"), ("endpoint", "/api/greeting")));
        Assert.Equal(4, Sample(exposition, "http_request_duration_seconds_count", ("code", "500"), ("endpoint", "/api/greeting")));
    }

    [Fact]
    public async Task Each_host_has_its_own_counts()
    {
        using var first = new BeaconHost();
        using var second = new BeaconHost();
        using var firstClient = first.CreateClient();
        using var secondClient = second.CreateClient();
        using (await firstClient.GetAsync("/api/greeting")) { }

        var exposition = await Scrape(secondClient);

        Assert.Equal(0, Sample(exposition, "http_requests_received_total", ("endpoint", "/api/greeting")));
    }
}
