using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace Slipway.Delivery.Git;

/// <summary>
/// Runs the git CLI (through CliWrap) with a fixed, non-interactive environment. A token travels only as an
/// http.extraHeader in this process's environment (GIT_CONFIG_COUNT/KEY/VALUE): never on the command line,
/// never in .git/config; it is masked in everything this class logs or throws.
/// </summary>
public sealed class GitCli
{
    private readonly string? token;
    private readonly string tokenUser;
    private readonly string authorName;
    private readonly string authorEmail;
    private readonly Serilog.ILogger log;
    private readonly SecretMasker masker;

    public GitCli(string? token, string tokenUser, string authorName, string authorEmail, Serilog.ILogger log)
        : this(token, tokenUser, authorName, authorEmail, log, []) { }

    /// <summary>
    /// For reading and fetching (no token, a neutral identity). <paramref name="secrets"/> are masked too:
    /// e.g. the credentials inside a remote URL the caller passes as an argument.
    /// </summary>
    public GitCli(Serilog.ILogger log, params IReadOnlyList<string> secrets)
        : this(null, "", "Slipway", "slipway@localhost", log, secrets) { }

    private GitCli(string? token, string tokenUser, string authorName, string authorEmail, Serilog.ILogger log, IReadOnlyList<string> secrets)
    {
        (this.token, this.tokenUser, this.authorName, this.authorEmail, this.log) = (token, tokenUser, authorName, authorEmail, log);
        masker = new SecretMasker(token is null ? secrets : [token, AuthorizationValue(tokenUser, token), .. secrets]);
    }

    internal SecretMasker Masker => masker;

    public async Task<GitResult> RunAsync(string? workingDirectory, IReadOnlyList<string> arguments, string? input = null,
        bool authenticate = false, CancellationToken cancellationToken = default)
    {
        var environment = new Dictionary<string, string?>
        {
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_ASKPASS"] = "",
            ["LC_ALL"] = "C",
            ["LANG"] = "C",
            ["GIT_AUTHOR_NAME"] = authorName,
            ["GIT_AUTHOR_EMAIL"] = authorEmail,
            ["GIT_COMMITTER_NAME"] = authorName,
            ["GIT_COMMITTER_EMAIL"] = authorEmail,
            ["GIT_CONFIG_COUNT"] = "0",
        };
        if (authenticate && token is not null)
        {
            environment["GIT_CONFIG_COUNT"] = "1";
            environment["GIT_CONFIG_KEY_0"] = "http.extraHeader";
            environment["GIT_CONFIG_VALUE_0"] = "Authorization: " + AuthorizationValue(tokenUser, token);
        }

        // Settings a user's global config must not change here: no signing prompts, no editor, no auto-gc pauses, and no
        // 'git maintenance run --auto' process after each fetch and commit (one process more on a rollback's path).
        string[] fixedOptions = ["-c", "commit.gpgsign=false", "-c", "core.editor=true", "-c", "gc.auto=0", "-c", "maintenance.auto=false", "-c", "core.autocrlf=false"];
        var command = Cli.Wrap("git")
            .WithArguments([.. fixedOptions, .. arguments])
            .WithWorkingDirectory(workingDirectory ?? Directory.GetCurrentDirectory())
            .WithEnvironmentVariables(environment)
            .WithValidation(CommandResultValidation.None);
        if (input is not null) command = command.WithStandardInputPipe(PipeSource.FromString(input, Encoding.UTF8));

        log.Debug("git {Arguments:l}", masker.Mask(string.Join(' ', arguments)));
        var result = await command.ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8, cancellationToken);
        return new GitResult(arguments, result.ExitCode, result.StandardOutput, masker.Mask(result.StandardError));
    }

    /// <summary>Runs and throws a <see cref="GitException"/> (masked) when git fails.</summary>
    public async Task<string> RunCheckedAsync(string? workingDirectory, IReadOnlyList<string> arguments, string? input = null,
        bool authenticate = false, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(workingDirectory, arguments, input, authenticate, cancellationToken);
        if (result.ExitCode != 0) throw Failure(result, "");
        return result.StandardOutput;
    }

    public GitException Failure(GitResult result, string hint) =>
        new(masker.Mask($"git {string.Join(' ', result.Arguments)} failed (exit {result.ExitCode}): {result.StandardError.Trim()}" +
                        (hint.Length > 0 ? $"; {hint}" : "")));

    private static string AuthorizationValue(string user, string token) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}"));
}

public sealed record GitResult(IReadOnlyList<string> Arguments, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>A git command failed; the message is masked (no token) and says what to do.</summary>
public sealed class GitException(string message) : Exception(message);

/// <summary>Replaces secrets (and URL passwords) with "****" in text meant for logs and errors.</summary>
internal sealed partial class SecretMasker(IReadOnlyList<string> secrets)
{
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<=://[^/@\s:]+:)[^/@\s]+(?=@)")]
    private static partial System.Text.RegularExpressions.Regex UrlPassword();

    public string Mask(string text)
    {
        foreach (var secret in secrets.Where(secret => secret.Length > 0).OrderByDescending(secret => secret.Length))
            text = text.Replace(secret, "****", StringComparison.Ordinal);
        return UrlPassword().Replace(text, "****");
    }
}
