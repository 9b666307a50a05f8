namespace Slipway.Build.Tests;

public class SecretTests
{
    private const string Secret = "S3cr3t-Value-8841";

    private sealed class Leaky : SlipwayBuild
    {
        [Parameter("Registry password"), Secret] readonly string? RegistryPassword = null;
        [Parameter("Tokens"), Secret] readonly string[] Tokens = [];

        // Every way a careless build could leak the value: description, log lines, embedded, exception, own files.
        Target Push => _ => _
            .Description($"Pushes with password {RegistryPassword}")
            .Requires(() => RegistryPassword)
            .Executes(() =>
            {
                Log.Information("Logging in with {Password}", RegistryPassword);
                Log.Warning($"url=https://user:{RegistryPassword}@127.0.0.1:5000/v2/");
                Log.Information("tokens {Tokens}", Tokens);
                (TemporaryDirectory / "own-artifact.txt").WriteAllText(MaskSecrets($"password={RegistryPassword}"));
                throw new InvalidOperationException($"login failed for password '{RegistryPassword}'");
            });
    }

    private static void AssertNowhere(TempRoot root, BuildOutcome outcome, params string[] secrets)
    {
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, outcome.Output);
            // parameters*.json are the user's input (where a secret may come from); everything else the engine wrote.
            foreach (var (file, text) in root.NukeFiles().Where(f => !f.File.StartsWith(".nuke/parameters", StringComparison.Ordinal)))
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{file} contains a secret value");
            }
        }
    }

    [Fact]
    public async Task A_secret_from_the_command_line_never_appears_in_output_or_files_under_nuke()
    {
        using var root = new TempRoot();
        var plan = await root.RunAsync(new Leaky(), "Push", "--registry-password", Secret, "--plan");
        var failed = await root.RunAsync(new Leaky(), "Push", "--registry-password", Secret, "--verbosity", "verbose");

        Assert.Equal(0, plan.ExitCode);
        Assert.Equal(TargetStatus.Failed, failed.StatusOf("Push"));
        Assert.Contains("Pushes with password ***", (root.Nuke / "temp" / "plan.mmd").ReadAllText());
        Assert.Contains("login failed for password '***'", failed.Output);
        Assert.Contains("https://user:***@127.0.0.1:5000/v2/", failed.Output);
        Assert.Equal("login failed for password '***'", failed.Result("Push")!.Error);
        Assert.Equal("password=***", (root.Nuke / "temp" / "own-artifact.txt").ReadAllText());
        Assert.True((root.Nuke / "temp" / "build.log").FileExists());
        Assert.True((root.Nuke / "temp" / "plan.html").FileExists());
        AssertNowhere(root, plan, Secret);
        AssertNowhere(root, failed, Secret);
    }

    [Fact]
    public async Task Secrets_from_env_and_json_and_in_ci_annotations_are_masked_too()
    {
        using var root = new TempRoot();
        root.WriteParameters($$"""{ "Tokens": ["tok-aaa-111", "tok-bbb-222"] }""");
        var environment = new Dictionary<string, string?> { ["REGISTRY_PASSWORD"] = Secret, ["GITHUB_ACTIONS"] = "true" };
        var outcome = await root.RunAsync(new Leaky(), environment, "Push");

        Assert.Contains("::error title=Target Push failed::login failed for password '***'", outcome.Output);
        Assert.Matches(@"tokens \[.*\*\*\*.*\*\*\*.*\]", outcome.Output);
        AssertNowhere(root, outcome, Secret, "tok-aaa-111", "tok-bbb-222");
    }

    [Fact]
    public void The_masker_replaces_longest_values_first_and_inside_words()
    {
        var masker = new SecretMasker(["abc", "abcdef", ""]);

        Assert.Equal("x***y ***", masker.Apply("xabcdefy abc"));
    }
}
