using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Slipway.Build;

/// <summary>An ordered YAML mapping; entries whose value is null (or an empty list/map) are left out.</summary>
internal sealed class YamlMap : IEnumerable<KeyValuePair<string, object>>
{
    private readonly List<KeyValuePair<string, object>> _entries = [];

    public void Add(string key, object? value)
    {
        if (value is null or YamlMap { IsEmpty: true } or YamlList { Count: 0 })
        {
            return;
        }
        if (_entries.Any(e => e.Key == key))
        {
            throw new InvalidOperationException($"YAML key '{key}' written twice.");
        }
        _entries.Add(new(key, value));
    }

    /// <summary>Adds an entry even when it is an empty list, for keys where "none" differs from "not said".</summary>
    public void AddEvenWhenEmpty(string key, YamlList value)
    {
        if (value.Count == 0)
        {
            _entries.Add(new(key, value));
        }
        else
        {
            Add(key, value);
        }
    }

    public bool IsEmpty => _entries.Count == 0;

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A YAML sequence.</summary>
internal sealed class YamlList : List<object>
{
    public YamlList()
    {
    }

    public YamlList(IEnumerable<object> items) : base(items)
    {
    }
}

/// <summary>
/// Renders <see cref="YamlMap"/> trees through YamlDotNet's emitter: block style, indented sequences, no line folding,
/// and strings that YAML would read as another type quoted — the same input always gives the same bytes.
/// </summary>
internal static partial class YamlText
{
    public static string Render(IReadOnlyList<string> headerComments, YamlMap document)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        foreach (var comment in headerComments)
        {
            writer.Write($"# {comment}\n");
        }
        var settings = EmitterSettings.Default.WithBestIndent(2).WithBestWidth(int.MaxValue).WithIndentedSequences().WithNewLine("\n");
        var emitter = new Emitter(writer, settings);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Emit(emitter, document);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return writer.ToString().ReplaceLineEndings("\n");
    }

    private static void Emit(IEmitter emitter, object value)
    {
        switch (value)
        {
            case YamlMap map:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, isImplicit: true, MappingStyle.Block));
                foreach (var (key, item) in map)
                {
                    emitter.Emit(new Scalar(key));
                    Emit(emitter, item);
                }
                emitter.Emit(new MappingEnd());
                break;
            case YamlList list:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, isImplicit: true, SequenceStyle.Block));
                foreach (var item in list)
                {
                    Emit(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case bool flag:
                emitter.Emit(new Scalar(flag ? "true" : "false"));
                break;
            case int number:
                emitter.Emit(new Scalar(number.ToString(CultureInfo.InvariantCulture)));
                break;
            case string text:
                var style = ReadsAsAnotherType(text) ? ScalarStyle.SingleQuoted : ScalarStyle.Any;
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, style, isPlainImplicit: true, isQuotedImplicit: true));
                break;
            default:
                throw new InvalidOperationException($"Cannot write {value.GetType().Name} as YAML.");
        }
    }

    // YAML 1.1 and 1.2 booleans, nulls and numbers: as plain scalars these would not read back as strings.
    private static bool ReadsAsAnotherType(string text) => text.Length == 0 || OtherTypePattern().IsMatch(text);

    [GeneratedRegex(@"^(?:y|n|yes|no|true|false|on|off|null|~|[-+]?(?:\.?[0-9][0-9_.:eE+-]*|\.inf)|\.nan|0[xo][0-9a-f_]+)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OtherTypePattern();
}
