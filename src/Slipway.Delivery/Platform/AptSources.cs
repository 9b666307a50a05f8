using System.Text.RegularExpressions;

namespace Slipway.Delivery.Platform;

/// <summary>
/// The Debian mirrors this machine's apt uses for one suite (the host's own, e.g. bookworm, -updates, -security),
/// read from /etc/apt/sources.list and sources.list.d (one-line and deb822 formats), as one-line
/// <c>deb [signed-by=...] URI SUITE COMPONENTS</c> entries mmdebstrap accepts. The local base is built from the
/// host's mirror because it is the one the machine can reach (possibly the only one).
/// </summary>
public static partial class AptSources
{
    public static IReadOnlyList<string> Read(string suite, string aptDirectory = "/etc/apt")
    {
        var entries = new List<string>();
        var oneLineFiles = new List<string>();
        var deb822Files = new List<string>();
        var main = Path.Combine(aptDirectory, "sources.list");
        if (File.Exists(main)) oneLineFiles.Add(main);
        var parts = Path.Combine(aptDirectory, "sources.list.d");
        if (Directory.Exists(parts))
        {
            oneLineFiles.AddRange(Directory.GetFiles(parts, "*.list").Order(StringComparer.Ordinal));
            deb822Files.AddRange(Directory.GetFiles(parts, "*.sources").Order(StringComparer.Ordinal));
        }

        foreach (var file in oneLineFiles)
            foreach (var line in File.ReadAllLines(file))
            {
                var match = OneLine().Match(line);
                if (match.Success && BelongsTo(match.Groups["suite"].Value, suite))
                    {
                    var options = match.Groups["options"].Success ? match.Groups["options"].Value.Trim() + " " : "";
                    entries.Add($"deb {options}{match.Groups["uri"].Value} {match.Groups["suite"].Value} {match.Groups["components"].Value.Trim()}");
                }
            }

        foreach (var file in deb822Files)
            foreach (var stanza in Stanzas(File.ReadAllText(file)))
            {
                if (!stanza.TryGetValue("types", out var types) || !types.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("deb"))
                    continue;
                if (stanza.TryGetValue("enabled", out var enabled) && enabled.Equals("no", StringComparison.OrdinalIgnoreCase))
                    continue;
                var options = stanza.TryGetValue("signed-by", out var signedBy) && !signedBy.Contains('\n') ? $"[signed-by={signedBy}] " : "";
                var components = stanza.GetValueOrDefault("components", "main");
                foreach (var uri in stanza.GetValueOrDefault("uris", "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    foreach (var entrySuite in stanza.GetValueOrDefault("suites", "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                        if (BelongsTo(entrySuite, suite))
                            entries.Add($"deb {options}{uri} {entrySuite} {components}");
            }

        if (entries.Count == 0)
            throw new PlatformSetupException(
                $"No apt source for Debian '{suite}' in {aptDirectory}/sources.list(.d); the local base image is built from the " +
                "machine's Debian mirror. Add one (e.g. 'deb http://deb.debian.org/debian " + suite + " main') or use the default base image.");
        return entries;
    }

    /// <summary>The host's release codename (VERSION_CODENAME in os-release), e.g. bookworm.</summary>
    public static string HostSuite(string osRelease = "/etc/os-release")
    {
        if (File.Exists(osRelease))
            foreach (var line in File.ReadAllLines(osRelease))
                if (line.StartsWith("VERSION_CODENAME=", StringComparison.Ordinal))
                    return line["VERSION_CODENAME=".Length..].Trim('"');
        throw new PlatformSetupException(
            $"Cannot tell this machine's Debian release ({osRelease} has no VERSION_CODENAME); the local base image needs a Debian (or derivative) host with mmdebstrap.");
    }

    static bool BelongsTo(string entrySuite, string suite) =>
        entrySuite == suite || entrySuite.StartsWith(suite + "-", StringComparison.Ordinal) || entrySuite.StartsWith(suite + "/", StringComparison.Ordinal);

    static IEnumerable<Dictionary<string, string>> Stanzas(string text)
    {
        var current = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? lastKey = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith('#')) continue;
            if (line.Trim().Length == 0)
            {
                if (current.Count > 0) yield return current;
                current = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                lastKey = null;
                continue;
            }
            if (char.IsWhiteSpace(line[0]) && lastKey is not null)
            {
                current[lastKey] += "\n" + line.Trim();  // continuation (e.g. an inline Signed-By key)
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            lastKey = line[..colon].Trim();
            current[lastKey] = line[(colon + 1)..].Trim();
        }
        if (current.Count > 0) yield return current;
    }

    [GeneratedRegex(@"^\s*deb\s+(?<options>\[[^\]]*\]\s+)?(?<uri>\S+)\s+(?<suite>\S+)(?<components>(\s+\S+)*)\s*$")]
    private static partial Regex OneLine();
}
