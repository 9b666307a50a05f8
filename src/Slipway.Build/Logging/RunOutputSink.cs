using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Slipway.Build;

/// <summary>The Serilog sink of a run: renders each event and hands its lines to <see cref="RunOutput"/>, which masks them.</summary>
internal sealed class RunOutputSink(RunOutput output, ITextFormatter formatter) : ILogEventSink
{
    public void Emit(LogEvent logEvent)
    {
        using var text = new StringWriter();
        formatter.Format(logEvent, text);
        var rendered = output.Masker.Apply(text.ToString()).ReplaceLineEndings("\n").TrimEnd('\n');
        foreach (var line in rendered.Split('\n'))
        {
            output.WriteLine(line);
        }
    }
}
