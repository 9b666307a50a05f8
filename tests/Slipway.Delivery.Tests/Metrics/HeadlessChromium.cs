using System.Text;
using CliWrap;
using CliWrap.Buffered;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Metrics;

/// <summary>
/// Debian's chromium, headless, for checking HTML reports as a browser builds them. Installed with apt when missing and the
/// tests run as root (the build's infrastructure installs it too); otherwise the test is skipped, saying why.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    private readonly string profile = Path.Combine(Path.GetTempPath(), "slipway-chromium-" + Guid.NewGuid().ToString("N"));

    private HeadlessChromium(string executable) => Executable = executable;

    public string Executable { get; }

    /// <summary>The browser, or a skip (with the reason) when it is absent and cannot be installed here.</summary>
    public static async Task<HeadlessChromium> RequireAsync(CancellationToken cancellationToken)
    {
        if (Find() is { } found) return new HeadlessChromium(found);
        var problem = await DebianChromium.EnsureInstalledAsync(cancellationToken);
        if (problem is not null || Find() is not { } installed)
        {
            Assert.Skip(problem ?? "chromium was installed but is not where it is looked for");
            throw new InvalidOperationException("unreachable");
        }
        return new HeadlessChromium(installed);
    }

    /// <summary>Loads the page and returns the DOM after its scripts ran, and everything the browser logged (console included).</summary>
    public async Task<(string Dom, string Log)> DumpDomAsync(string file, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["--dump-dom", new Uri(file).AbsoluteUri], cancellationToken);
        return (result.StandardOutput, result.StandardError);
    }

    public async Task<string> ScreenshotAsync(string file, string png, int width, int height, CancellationToken cancellationToken)
    {
        var result = await RunAsync([$"--screenshot={png}", $"--window-size={width},{height}", "--hide-scrollbars", new Uri(file).AbsoluteUri], cancellationToken);
        Assert.True(File.Exists(png), $"chromium wrote no screenshot: {Tail(result.StandardError)}");
        return result.StandardError;
    }

    /// <summary>Lines where the page's console spoke or a script threw (chromium logs them as CONSOLE with --enable-logging).</summary>
    public static IReadOnlyList<string> ConsoleMessages(string log) =>
        log.Split('\n').Where(line => line.Contains(":CONSOLE", StringComparison.Ordinal) || line.Contains("Uncaught", StringComparison.Ordinal)).ToList();

    private async Task<BufferedCommandResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        var result = await Cli.Wrap(Executable)
            .WithArguments(["--headless", "--disable-gpu", "--no-sandbox", "--disable-crash-reporter", "--disable-breakpad", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                $"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", .. arguments])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8, timeout.Token);
        Assert.True(result.ExitCode == 0, $"chromium exited with {result.ExitCode}: {Tail(result.StandardError)}");
        return result;
    }

    private static string? Find() =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);

    private static string Tail(string text) => text.Length > 2000 ? text[^2000..] : text;

    public void Dispose()
    {
        try { if (Directory.Exists(profile)) Directory.Delete(profile, recursive: true); }
        catch (IOException) { }   // a crashed browser may still hold a file; the temp folder is cleaned by the system
    }
}
