namespace Slipway.Delivery.Manifests;

/// <summary>Manifests that cannot be parsed, rendered or applied; each problem names the file, the object and the fix.</summary>
public sealed class ManifestException(IReadOnlyList<string> problems)
    : Exception(problems.Count == 1 ? problems[0] : $"{problems.Count} manifest problems:{Environment.NewLine}- " +
                                                    string.Join(Environment.NewLine + "- ", problems))
{
    public ManifestException(string problem) : this([problem]) { }

    public IReadOnlyList<string> Problems { get; } = problems;
}
