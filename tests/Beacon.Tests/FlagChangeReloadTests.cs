using Beacon.Tests.Support;

namespace Beacon.Tests;

/// <summary>
/// What `./build.sh SetFlag --flag Greeting.Style --value Formal=70,Casual=30` writes (Slipway's FlagChange, shape pinned
/// by its own tests), reaching a running Beacon: reloaded without a restart, split by the stable user key, and when the
/// percentages change only the users between the old and the new boundary move.
/// </summary>
public sealed class FlagChangeReloadTests
{
    /// <summary>deploy/base/configmap.yaml's flags, Greeting.Style as SetFlag leaves it for the given split (null: as declared, off).</summary>
    static string Settings(int? formalPercent) =>
        $$"""
        {
          "feature_management": {
            "feature_flags": [
              {
                "id": "Greeting.V2",
                "enabled": false
              },
              {
                "id": "Greeting.Style",
                "enabled": {{(formalPercent is null ? "false" : "true")}},
                "variants": [
                  { "name": "Formal", "configuration_value": "Good day from Beacon" },
                  { "name": "Casual", "configuration_value": "Hey there, from Beacon" }
                ],
                "allocation": {
                  "default_when_enabled": "Formal"{{(formalPercent is { } formal ? $$"""
        ,
                  "percentile": [
                    { "variant": "Formal", "from": 0, "to": {{formal}} },
                    { "variant": "Casual", "from": {{formal}}, "to": 100 }
                  ]
        """ : "")}}
                }
              }
            ]
          }
        }
        """;

    const int Users = 2000;

    static async Task<string?> Variant(HttpClient client, string user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/greeting");
        request.Headers.Add("X-User-Id", user);
        using var response = await client.SendAsync(request);
        return (await response.ReadJsonAsync()).Str("variant");
    }

    /// <summary>Every user's variant, asked twice: the same user must get the same variant on every request.</summary>
    static async Task<Dictionary<string, string?>> AskEveryone(HttpClient client)
    {
        var assigned = new Dictionary<string, string?>();
        for (var i = 0; i < Users; i++)
        {
            var user = $"user-{i}";
            var first = await Variant(client, user);
            Assert.Equal(first, await Variant(client, user));
            assigned[user] = first;
        }
        return assigned;
    }

    /// <summary>
    /// The Formal count is binomial over distinct users (the hashed percentile behaves like a fair draw): five standard
    /// deviations (about 102 of 2000 users at 70/30) is exceeded by a correct allocation about once in two million runs.
    /// </summary>
    static void AssertShare(Dictionary<string, string?> assigned, double formalShare)
    {
        var formal = assigned.Values.Count(variant => variant == "Formal");
        Assert.Equal(Users, formal + assigned.Values.Count(variant => variant == "Casual"));
        var tolerance = 5 * Math.Sqrt(Users * formalShare * (1 - formalShare));
        Assert.InRange(formal, Users * formalShare - tolerance, Users * formalShare + tolerance);
    }

    /// <summary>Microsoft.FeatureManagement's percentile of a user for Greeting.Style (no seed declared: "allocation\n&lt;flag&gt;").</summary>
    static double Percentile(string user)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{user}\nallocation\nGreeting.Style"));
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(hash) / (double)uint.MaxValue * 100;
    }

    [Fact]
    public async Task A_variant_split_set_while_running_applies_without_restart_and_moves_only_boundary_users_when_changed()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", Settings(formalPercent: null));
        using var host = new BeaconHost(configDirectory: dir.Path);
        using var client = host.CreateClient();
        Assert.Null(await Variant(client, "user-0"));   // as deploy/ declares it: off, no variant

        // SetFlag Formal=70,Casual=30 arrives (the agent writes the ConfigMap; Beacon polls it).
        dir.Write("appsettings.json", Settings(formalPercent: 70));
        await Eventually.Until(() => Variant(client, "user-0"), variant => variant is not null, "Greeting.Style split applied");
        var at70 = await AskEveryone(client);
        AssertShare(at70, 0.70);

        // SetFlag Formal=50,Casual=50: wait for a user whose percentile lies between the boundaries to move.
        var mover = at70.Keys.First(user => Percentile(user) is >= 50.5 and < 69.5);
        dir.Write("appsettings.json", Settings(formalPercent: 50));
        await Eventually.Until(() => Variant(client, mover), variant => variant == "Casual", $"{mover} moved to Casual at 50%");
        var at50 = await AskEveryone(client);
        AssertShare(at50, 0.50);

        // Stable across the reload: nobody flips except users between 50 and 70, who go Formal -> Casual.
        var moved = at70.Keys.Where(user => at70[user] != at50[user]).ToList();
        Assert.All(moved, user => Assert.Equal(("Formal", "Casual"), (at70[user], at50[user])));
        Assert.All(moved, user => Assert.InRange(Percentile(user), 50, 70));
        var expectedMoves = at70.Keys.Count(user => Percentile(user) is >= 50 and < 70);
        Assert.Equal(expectedMoves, moved.Count);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"Formal at 70%: {at70.Values.Count(v => v == "Formal")}/{Users}; at 50%: {at50.Values.Count(v => v == "Formal")}/{Users}; moved: {moved.Count}");
    }
}
