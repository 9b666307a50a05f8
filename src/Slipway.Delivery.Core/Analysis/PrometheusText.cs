using System.Globalization;
using System.Text;

namespace Slipway.Delivery.Analysis;

/// <summary>One sample of the Prometheus text exposition: a metric name, its labels and a value.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var value) ? value : "";
}

/// <summary>
/// Reads the Prometheus text exposition format (version 0.0.4): comments and blank lines are skipped, label values
/// are unescaped (\\, \", \n), an optional timestamp after the value is ignored. A malformed line is an error naming it.
/// </summary>
public static class PrometheusText
{
    public static IReadOnlyList<MetricSample> Parse(string exposition)
    {
        var samples = new List<MetricSample>();
        var lineNumber = 0;
        foreach (var raw in exposition.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            samples.Add(ParseLine(line, lineNumber));
        }
        return samples;
    }

    static MetricSample ParseLine(string line, int lineNumber)
    {
        var position = 0;
        while (position < line.Length && line[position] is not ('{' or ' ' or '\t')) position++;
        var name = line[..position];
        if (name.Length == 0) throw Malformed(line, lineNumber, "no metric name");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (position < line.Length && line[position] == '{')
        {
            position++;
            while (true)
            {
                while (position < line.Length && line[position] is ' ' or ',') position++;
                if (position >= line.Length) throw Malformed(line, lineNumber, "unterminated label set");
                if (line[position] == '}') { position++; break; }
                var equals = line.IndexOf('=', position);
                if (equals < 0 || equals + 1 >= line.Length || line[equals + 1] != '"') throw Malformed(line, lineNumber, "a label is not name=\"value\"");
                var labelName = line[position..equals].Trim();
                position = equals + 2;
                var value = new StringBuilder();
                while (true)
                {
                    if (position >= line.Length) throw Malformed(line, lineNumber, "unterminated label value");
                    var c = line[position++];
                    if (c == '"') break;
                    if (c == '\\' && position < line.Length)
                    {
                        var escaped = line[position++];
                        value.Append(escaped switch { 'n' => '\n', _ => escaped });
                        continue;
                    }
                    value.Append(c);
                }
                labels[labelName] = value.ToString();
            }
        }
        var rest = line[position..].Trim().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length == 0) throw Malformed(line, lineNumber, "no value");
        return new MetricSample(name, labels, ParseValue(rest[0]) ?? throw Malformed(line, lineNumber, $"'{rest[0]}' is not a number"));
    }

    static double? ParseValue(string text) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null,
    };

    static FormatException Malformed(string line, int lineNumber, string why) =>
        new($"Prometheus exposition line {lineNumber} is malformed ({why}): '{(line.Length > 200 ? line[..200] + "..." : line)}'");
}
