using System.Text;

namespace Slipway.Build;

/// <summary>
/// Everything a run prints goes through here: masked, written to the invocation's writer and kept for the
/// outcome and build.log. Under --parallel each target writes into its own buffer, flushed in one piece.
/// </summary>
internal sealed class RunOutput(TextWriter writer)
{
    private readonly object _lock = new();
    private readonly StringBuilder _captured = new();
    private readonly AsyncLocal<StringBuilder?> _targetBuffer = new();
    private SecretMasker _masker = SecretMasker.None;

    public SecretMasker Masker
    {
        get => _masker;
        set => _masker = value;
    }

    public string Captured
    {
        get
        {
            lock (_lock)
            {
                return _captured.ToString();
            }
        }
    }

    public void WriteLine(string text = "")
    {
        var masked = _masker.Apply(text);
        if (_targetBuffer.Value is { } buffer)
        {
            lock (buffer)
            {
                buffer.Append(masked).Append('\n');
            }
            return;
        }
        lock (_lock)
        {
            writer.Write(masked + "\n");
            _captured.Append(masked).Append('\n');
        }
    }

    /// <summary>Writes straight to the output even inside a target's buffer: progress of a long target under --parallel.</summary>
    public void WriteLineNow(string text)
    {
        var masked = _masker.Apply(text);
        lock (_lock)
        {
            writer.Write(masked + "\n");
            writer.Flush();
            _captured.Append(masked).Append('\n');
        }
    }

    /// <summary>From here on (in this async flow) lines are held until <see cref="FlushBuffer"/>.</summary>
    public void BeginBuffer() => _targetBuffer.Value = new StringBuilder();

    public void FlushBuffer()
    {
        if (_targetBuffer.Value is not { } buffer)
        {
            return;
        }
        _targetBuffer.Value = null;
        string text;
        lock (buffer)
        {
            text = buffer.ToString();
        }
        lock (_lock)
        {
            writer.Write(text);
            writer.Flush();
            _captured.Append(text);
        }
    }

    public void Flush()
    {
        lock (_lock)
        {
            writer.Flush();
        }
    }
}
