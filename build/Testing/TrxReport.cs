using System.Xml.Linq;
using Slipway.Build;

/// <summary>One test result of a TRX file: its display name, the method that runs it, and how it ended.</summary>
sealed record TestResult(string Name, string Method, string Outcome, string? Message)
{
    public bool Passed => Outcome == "Passed";

    /// <summary>Failed, Error, Timeout and Aborted all count as failures; NotExecuted and skips count as neither.</summary>
    public bool Failed => Outcome is "Failed" or "Error" or "Timeout" or "Aborted";

    /// <summary>The first line of the failure message, for a one-line report.</summary>
    public string Headline => Message?.Split('\n', 2)[0].Trim() ?? Outcome;
}

/// <summary>Reads the results of a TRX file (the format VSTest and Microsoft.Testing.Platform both write).</summary>
static class TrxReport
{
    static readonly XNamespace Ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public static IReadOnlyList<TestResult> Read(AbsolutePath file)
    {
        var document = XDocument.Load(file);
        // A result names its test by testId; the definition holds the class and method (theory cases share one).
        var methods = document.Descendants(Ns + "UnitTest").ToDictionary(
            test => (string)test.Attribute("id")!,
            test => test.Element(Ns + "TestMethod") is { } method
                ? $"{(string?)method.Attribute("className")}.{(string?)method.Attribute("name")}"
                : (string)test.Attribute("name")!);
        return document.Descendants(Ns + "UnitTestResult")
            .Select(result =>
            {
                var name = (string?)result.Attribute("testName") ?? "(unnamed)";
                var id = (string?)result.Attribute("testId");
                return new TestResult(
                    name,
                    id is not null && methods.TryGetValue(id, out var method) ? method : name,
                    (string?)result.Attribute("outcome") ?? "NotExecuted",
                    (string?)result.Element(Ns + "Output")?.Element(Ns + "ErrorInfo")?.Element(Ns + "Message"));
            })
            .ToList();
    }
}
