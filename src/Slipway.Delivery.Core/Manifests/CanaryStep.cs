using System.Globalization;

namespace Slipway.Delivery.Manifests;

/// <summary>One step of a canary: send <see cref="Weight"/> percent of traffic to the new version, then wait and analyse.</summary>
public sealed record CanaryStep(int Weight, int PauseSeconds)
{
    /// <summary>The annotation form: "10:30,50:30".</summary>
    public static string Format(IEnumerable<CanaryStep> steps) =>
        string.Join(',', steps.Select(step => string.Create(CultureInfo.InvariantCulture, $"{step.Weight}:{step.PauseSeconds}")));

    public static bool TryParseAll(string text, out IReadOnlyList<CanaryStep> steps, out string problem)
    {
        var parsed = new List<CanaryStep>();
        steps = parsed;
        problem = "";
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(':');
            if (pieces.Length != 2 ||
                !int.TryParse(pieces[0], NumberStyles.None, CultureInfo.InvariantCulture, out var weight) ||
                !int.TryParse(pieces[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pause))
            {
                problem = $"step '{part}' is not 'weight:pauseSeconds'; write steps like \"10:30,50:30\"";
                return false;
            }
            parsed.Add(new CanaryStep(weight, pause));
        }
        return Check(parsed, out problem);
    }

    /// <summary>Weights strictly increase within 1-99 (100 is the final promotion, implied); pauses are 0 or more.</summary>
    public static bool Check(IReadOnlyList<CanaryStep> steps, out string problem)
    {
        problem = "";
        if (steps.Count == 0) { problem = "a canary needs at least one step (e.g. weight 10, pauseSeconds 30)"; return false; }
        var previous = 0;
        foreach (var step in steps)
        {
            if (step.Weight <= previous || step.Weight > 99)
            {
                problem = $"weight {step.Weight} must be greater than the previous step's ({previous}) and at most 99; the final 100% is the promotion itself";
                return false;
            }
            if (step.PauseSeconds < 0) { problem = $"pauseSeconds {step.PauseSeconds} must be 0 or more"; return false; }
            previous = step.Weight;
        }
        return true;
    }
}
