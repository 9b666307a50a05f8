using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Git;

namespace Slipway.Agent.ImageAutomation;

/// <summary>
/// The config repo as image automation writes it: a <see cref="ConfigRepository"/> clone in the agent's work dir on the
/// branch the agent follows (--branch, else the remote's default branch). Opened only once that branch exists, so the
/// agent never seeds a config repo or creates a branch the build did not: automation updates environments, it does not create them.
/// Used by the automation loop alone (one caller at a time).
/// </summary>
public sealed class AutomationConfigRepository(string url, string workDirectory, string? branch, ILogger log)
{
    // Credentials in the URL (https://user:token@host/...) are masked by GitCli in what it logs, and by Mask in our errors.
    readonly string[] secrets = Secrets(url);
    readonly GitCli git = new(log, Secrets(url));
    ConfigRepository? repository;

    public async Task<ConfigRepository> OpenAsync(CancellationToken cancellationToken)
    {
        if (repository is not null) return repository;
        var name = branch ?? await DefaultBranchAsync(cancellationToken);
        var heads = await git.RunAsync(null, ["ls-remote", "--heads", url, name], cancellationToken: cancellationToken);
        if (!heads.Succeeded)
            throw new ImageAutomationException($"cannot read the config repo {Mask(url)} ({Mask(heads.StandardError.Trim())}); check --config-repo");
        if (string.IsNullOrWhiteSpace(heads.StandardOutput))
            throw new ImageAutomationException($"the config repo {Mask(url)} has no branch '{name}' yet; deploy the environments once " +
                                               "(./build.sh Deploy) before image automation updates them, or set --branch");
        repository = new ConfigRepository(new ConfigRepositoryOptions
        {
            Url = url,
            WorkDirectory = workDirectory,
            Branch = name,
            AuthorName = "Slipway image automation",
        }, log);
        return repository;
    }

    /// <summary>The remote's HEAD branch, as the agent's pull loop follows it; "main" when the remote names none.</summary>
    async Task<string> DefaultBranchAsync(CancellationToken cancellationToken)
    {
        var symref = await git.RunAsync(null, ["ls-remote", "--symref", url, "HEAD"], cancellationToken: cancellationToken);
        var line = symref.StandardOutput.Split('\n').FirstOrDefault(l => l.StartsWith("ref: refs/heads/", StringComparison.Ordinal));
        return line?["ref: refs/heads/".Length..].Split('\t')[0].Trim() ?? "main";
    }

    static string[] Secrets(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0 ? [uri.UserInfo, Uri.UnescapeDataString(uri.UserInfo)] : [];

    string Mask(string text) => secrets.Where(secret => secret.Length > 0).Aggregate(text, (masked, secret) => masked.Replace(secret, "***", StringComparison.Ordinal));
}
