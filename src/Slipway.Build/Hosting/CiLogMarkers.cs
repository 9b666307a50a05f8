namespace Slipway.Build;

/// <summary>The log commands each CI host understands for collapsible groups and error annotations.</summary>
internal sealed class CiLogMarkers(CiHostName host, TimeProvider clock)
{
    public string? GroupStart(string target) => host switch
    {
        CiHostName.GitHubActions => $"::group::{target}",
        CiHostName.AzurePipelines => $"##[group]{target}",
        CiHostName.GitLab => $"\u001b[0Ksection_start:{clock.GetUtcNow().ToUnixTimeSeconds()}:{SectionId(target)}[collapsed=false]\r\u001b[0K{target}",
        _ => null,
    };

    public string? GroupEnd(string target) => host switch
    {
        CiHostName.GitHubActions => "::endgroup::",
        CiHostName.AzurePipelines => "##[endgroup]",
        CiHostName.GitLab => $"\u001b[0Ksection_end:{clock.GetUtcNow().ToUnixTimeSeconds()}:{SectionId(target)}\r\u001b[0K",
        _ => null,
    };

    public string? Error(string target, string message)
    {
        // Annotations are one line: newlines are encoded as the hosts document.
        return host switch
        {
            CiHostName.GitHubActions => $"::error title=Target {target} failed::{message.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A")}",
            CiHostName.AzurePipelines => $"##vso[task.logissue type=error]Target {target} failed: {message.Replace("\r", "%0D").Replace("\n", "%0A")}",
            _ => null,
        };
    }

    private static string SectionId(string target) =>
        "slipway_" + new string(target.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
}
