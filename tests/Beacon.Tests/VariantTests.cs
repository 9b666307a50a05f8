using Beacon.Tests.Support;

namespace Beacon.Tests;

/// <summary>Variant allocation by hashed percentile of a stable user key: an A/B split that is stable per user.</summary>
public sealed class VariantTests
{
    const string StyleFlag = """
        {
          "feature_management": {
            "feature_flags": [
              {
                "id": "Greeting.Style",
                "enabled": true,
                "variants": [
                  { "name": "Formal", "configuration_value": "Good day from Beacon" },
                  { "name": "Casual", "configuration_value": "Hey there, from Beacon" }
                ],
                "allocation": {
                  "percentile": [
                    { "variant": "Formal", "from": 0, "to": 30 },
                    { "variant": "Casual", "from": 30, "to": 100 }
                  ],
                  "default_when_enabled": "Casual"
                }
              }
            ]
          }
        }
        """;

    static async Task<(string? Variant, string? Message)> Greet(HttpClient client, string user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/greeting");
        request.Headers.Add("X-User-Id", user);
        using var response = await client.SendAsync(request);
        var body = await response.ReadJsonAsync();
        return (body.Str("variant"), body.Str("message"));
    }

    [Fact]
    public async Task Split_over_many_users_matches_the_allocation_and_is_stable_per_user()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", StyleFlag);
        using var host = new BeaconHost(configDirectory: dir.Path);
        using var client = host.CreateClient();
        const int Users = 2000;
        const double FormalShare = 0.30;

        var assigned = new Dictionary<string, string?>();
        for (var i = 0; i < Users; i++)
        {
            var (variant, message) = await Greet(client, $"user-{i}");
            Assert.Equal(variant == "Formal" ? "Good day from Beacon" : "Hey there, from Beacon", message);
            assigned[$"user-{i}"] = variant;
        }

        var formal = assigned.Values.Count(v => v == "Formal");
        var casual = assigned.Values.Count(v => v == "Casual");
        Assert.Equal(Users, formal + casual);
        // The hashed percentile of distinct ids behaves like a fair draw: allow five standard deviations
        // of the binomial count, which a correct allocation exceeds about once in two million runs.
        var expectedCount = Users * FormalShare;
        var tolerance = 5 * Math.Sqrt(Users * FormalShare * (1 - FormalShare)); // about 102 users
        Assert.InRange(formal, expectedCount - tolerance, expectedCount + tolerance);

        // Exact: the library's documented allocation (Microsoft's feature flag spec), recomputed here
        // independently: SHA-256 of "<user>\nallocation\n<flag>", first 4 bytes as a little-endian uint,
        // scaled to 0-100; Formal owns [0, 30).
        var expected = assigned.Keys.ToDictionary(user => user, string? (user) => Percentile($"{user}\nallocation\nGreeting.Style") < 30 ? "Formal" : "Casual");
        Assert.Equal(expected, assigned);

        // Stable per user: the same ids ask again and get the same variant.
        for (var i = 0; i < Users; i += 10)
            Assert.Equal(assigned[$"user-{i}"], (await Greet(client, $"user-{i}")).Variant);
    }

    static double Percentile(string contextId)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(contextId));
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(hash) / (double)uint.MaxValue * 100;
    }

    [Fact]
    public async Task Cookie_is_the_key_when_there_is_no_header_and_one_is_assigned_when_there_is_neither()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", StyleFlag);
        using var host = new BeaconHost(configDirectory: dir.Path);
        using var client = host.CreateClient(new() { HandleCookies = false });

        using var first = await client.GetAsync("/api/greeting");
        var cookie = Assert.Single(first.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("beacon-user=", cookie);
        var userId = cookie["beacon-user=".Length..cookie.IndexOf(';')];
        var firstVariant = (await first.ReadJsonAsync()).Str("variant");

        for (var i = 0; i < 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/greeting");
            request.Headers.Add("Cookie", $"beacon-user={userId}");
            using var again = await client.SendAsync(request);
            Assert.False(again.Headers.Contains("Set-Cookie"));
            Assert.Equal(firstVariant, (await again.ReadJsonAsync()).Str("variant"));
            Assert.Equal(firstVariant, (await Greet(client, userId)).Variant); // the header names the same user
        }
    }

    [Fact]
    public async Task Classic_FeatureManagement_section_switches_the_greeting_too()
    {
        using var host = new BeaconHost(new Dictionary<string, string?> { ["FeatureManagement:Greeting.V2"] = "true" });
        using var client = host.CreateClient();

        var greeting = await client.GetJsonAsync("/api/greeting");

        Assert.Equal("Greetings from Beacon v2", greeting.Str("message"));
    }

    [Fact]
    public async Task Percentage_rollout_of_Greeting_V2_by_targeting_is_split_and_stable_per_user()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", """
            { "feature_management": { "feature_flags": [ { "id": "Greeting.V2", "enabled": true,
                "conditions": { "client_filters": [ { "name": "Microsoft.Targeting",
                  "parameters": { "Audience": { "DefaultRolloutPercentage": 50 } } } ] } } ] } }
            """);
        using var host = new BeaconHost(configDirectory: dir.Path);
        using var client = host.CreateClient();
        const int Users = 1000;

        var v2Users = new HashSet<string>();
        for (var i = 0; i < Users; i++)
            if ((await Greet(client, $"rollout-{i}")).Message == "Greetings from Beacon v2")
                v2Users.Add($"rollout-{i}");

        var tolerance = 5 * Math.Sqrt(Users * 0.5 * 0.5); // about 79 users
        Assert.InRange(v2Users.Count, Users / 2 - tolerance, Users / 2 + tolerance);
        for (var i = 0; i < Users; i += 20)
            Assert.Equal(v2Users.Contains($"rollout-{i}"), (await Greet(client, $"rollout-{i}")).Message == "Greetings from Beacon v2");
    }
}
