namespace Slipway.Build.Tests;

public class ParameterTests
{
    public enum Flavor
    {
        Vanilla,
        Chocolate,
    }

    private sealed class Parameterized : SlipwayBuild
    {
        [Parameter("A name")] public readonly string Name = "initial";
        [Parameter("A count")] public readonly int Count = 1;
        [Parameter("A flag")] public readonly bool Verbose = false;
        [Parameter("A flavour")] public readonly Flavor Flavor = Flavor.Vanilla;
        [Parameter("Some tags")] public readonly string[] Tags = [];
        [Parameter("A path")] public readonly AbsolutePath? Output = null;
        [Parameter("An optional number")] public int? Port { get; private set; }
        [Parameter("An auto-property")] public string? RegistryUrl { get; }

        Target Show => _ => _.Executes(() => { });
    }

    private static Dictionary<string, string?> Env(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => (string?)p.Value);

    [Fact]
    public async Task Unset_parameters_keep_their_initializers()
    {
        using var root = new TempRoot();
        var build = new Parameterized();
        var outcome = await root.RunAsync(build, "Show");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("initial", build.Name);
        Assert.Equal(1, build.Count);
        Assert.False(build.Verbose);
        Assert.Null(build.Port);
    }

    [Fact]
    public async Task Each_source_is_used_when_higher_ones_are_silent()
    {
        using var root = new TempRoot();
        root.WriteParameters("""{ "Name": "from-json", "Count": 2, "Flavor": "Chocolate", "Tags": ["a", "b"], "Port": 8080 }""");
        root.WriteParameters("""{ "Count": 3 }""", profile: "ci");

        var fromFiles = new Parameterized();
        await root.RunAsync(fromFiles, "Show", "--profile", "ci");
        Assert.Equal("from-json", fromFiles.Name);
        Assert.Equal(3, fromFiles.Count); // profile over parameters.json
        Assert.Equal(Flavor.Chocolate, fromFiles.Flavor);
        Assert.Equal(["a", "b"], fromFiles.Tags);
        Assert.Equal(8080, fromFiles.Port);

        var fromExactEnv = new Parameterized();
        await root.RunAsync(fromExactEnv, Env(("Count", "4")), "Show", "--profile", "ci");
        Assert.Equal(4, fromExactEnv.Count); // exact-name env over profile

        var fromSnakeEnv = new Parameterized();
        await root.RunAsync(fromSnakeEnv, Env(("Count", "4"), ("COUNT", "5")), "Show", "--profile", "ci");
        Assert.Equal(5, fromSnakeEnv.Count); // UPPER_SNAKE over exact name

        var fromCli = new Parameterized();
        await root.RunAsync(fromCli, Env(("COUNT", "5")), "Show", "--profile", "ci", "--count", "6");
        Assert.Equal(6, fromCli.Count); // command line over everything
    }

    [Fact]
    public async Task Later_profiles_win_over_earlier_ones()
    {
        using var root = new TempRoot();
        root.WriteParameters("""{ "Name": "one", "Count": 1 }""", profile: "one");
        root.WriteParameters("""{ "Name": "two" }""", profile: "two");
        var build = new Parameterized();
        await root.RunAsync(build, "Show", "--profile", "one", "two");

        Assert.Equal("two", build.Name);
        Assert.Equal(1, build.Count);
    }

    [Fact]
    public async Task Every_type_binds_from_the_command_line()
    {
        using var root = new TempRoot();
        var build = new Parameterized();
        // A list option takes every value up to the next option, so the target comes first here.
        var outcome = await root.RunAsync(build, "Show",
            "--name", "cli", "--count", "42", "--verbose", "--flavor", "chocolate", "--tags", "x", "y",
            "--output", "out/dir", "--port", "5000", "--registry-url", "http://127.0.0.1:5000", "--tags", "z");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("cli", build.Name);
        Assert.Equal(42, build.Count);
        Assert.True(build.Verbose);
        Assert.Equal(Flavor.Chocolate, build.Flavor);
        Assert.Equal(["x", "y", "z"], build.Tags);
        Assert.Equal(root.Path / "out" / "dir", build.Output);
        Assert.Equal(5000, build.Port);
        Assert.Equal("http://127.0.0.1:5000", build.RegistryUrl);
        Assert.Equal(["Show"], outcome.ExecutedTargets);
    }

    [Fact]
    public async Task Flags_accept_an_explicit_value_and_env_vars_their_snake_name()
    {
        using var root = new TempRoot();
        var explicitFalse = new Parameterized();
        await root.RunAsync(explicitFalse, Env(("VERBOSE", "true")), "--verbose", "false", "Show");
        var fromEnv = new Parameterized();
        await root.RunAsync(fromEnv, Env(("VERBOSE", "true"), ("REGISTRY_URL", "http://127.0.0.1:1")), "Show");

        Assert.False(explicitFalse.Verbose);
        Assert.True(fromEnv.Verbose);
        Assert.Equal("http://127.0.0.1:1", fromEnv.RegistryUrl);
    }

    [Theory]
    [InlineData("--count", "many", "Parameter 'Count' got 'many' from the command line (--count), but it expects an integer.")]
    [InlineData("--flavor", "strawberry", "Parameter 'Flavor' got 'strawberry' from the command line (--flavor), but it expects one of Vanilla, Chocolate.")]
    [InlineData("--verbose", "--port", "Option '--port' needs a value")]
    public async Task A_wrong_value_is_an_error_naming_parameter_value_and_type(string option, string value, string expected)
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Parameterized(), "Show", option, value);

        Assert.Equal(BuildRunner.ConfigurationErrorExitCode, outcome.ExitCode);
        Assert.Contains(expected, outcome.Output);
        Assert.Empty(outcome.ExecutedTargets);
    }

    [Fact]
    public async Task A_wrong_value_in_env_or_json_names_its_source()
    {
        using var root = new TempRoot();
        var fromEnv = await root.RunAsync(new Parameterized(), Env(("PORT", "http")), "Show");
        root.WriteParameters("""{ "Verbose": "sometimes" }""");
        var fromJson = await root.RunAsync(new Parameterized(), "Show");

        Assert.Contains("Parameter 'Port' got 'http' from environment variable PORT, but it expects an integer.", fromEnv.Output);
        Assert.Contains("Parameter 'Verbose' got 'sometimes' from .nuke/parameters.json, but it expects a boolean (true or false).", fromJson.Output);
    }

    [Fact]
    public async Task An_unknown_option_suggests_the_closest()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Parameterized(), "Show", "--flavour", "Vanilla");

        Assert.Equal(BuildRunner.ConfigurationErrorExitCode, outcome.ExitCode);
        Assert.Contains("Unknown option '--flavour'. Did you mean '--flavor'?", outcome.Output);
    }

    [Fact]
    public async Task Unknown_keys_and_missing_profiles_are_clear_errors()
    {
        using var root = new TempRoot();
        var missingProfile = await root.RunAsync(new Parameterized(), "Show", "--profile", "nope");
        root.WriteParameters("""{ "Nmae": "x" }""");
        var unknownKey = await root.RunAsync(new Parameterized(), "Show");

        Assert.Contains("Profile 'nope' has no file .nuke/parameters.nope.json", missingProfile.Output);
        Assert.Contains(".nuke/parameters.json sets 'Nmae', which is not a parameter of this build. Did you mean 'Name'?", unknownKey.Output);
    }

    private sealed class WithRequired : SlipwayBuild
    {
        [Parameter("Where to deploy"), Required] readonly string? Environment = null;
        public bool Ran { get; private set; }
        Target Deploy => _ => _.Executes(() => Ran = Environment is not null);
    }

    [Fact]
    public async Task Required_parameters_are_checked_before_anything_runs()
    {
        using var root = new TempRoot();
        var missing = new WithRequired();
        var missingOutcome = await root.RunAsync(missing, "Deploy");
        var given = new WithRequired();
        var givenOutcome = await root.RunAsync(given, Env(("ENVIRONMENT", "staging")), "Deploy");

        Assert.Equal(BuildRunner.ConfigurationErrorExitCode, missingOutcome.ExitCode);
        Assert.False(missing.Ran);
        Assert.Contains("Required parameter 'Environment' is not set: pass --environment <value>, set ENVIRONMENT", missingOutcome.Output);
        Assert.Equal(0, givenOutcome.ExitCode);
        Assert.True(given.Ran);
    }

    [Theory]
    [InlineData("RegistryPassword", "registry-password", "REGISTRY_PASSWORD")]
    [InlineData("HTTPPort", "http-port", "HTTP_PORT")]
    [InlineData("Net10Target", "net10-target", "NET10_TARGET")]
    [InlineData("Name", "name", "NAME")]
    public void Names_are_converted_to_kebab_and_snake_case(string member, string kebab, string snake)
    {
        Assert.Equal(kebab, ParameterMember.ToKebab(member));
        Assert.Equal(snake, ParameterMember.ToUpperSnake(member));
    }
}
