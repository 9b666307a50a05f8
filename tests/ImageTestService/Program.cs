using System.Reflection;
using System.Text.Json.Nodes;

var builder = WebApplication.CreateSlimBuilder(args);
var app = builder.Build();

// "1.2.3+<commit>" as the SDK writes it from -p:Version and -p:SourceRevisionId.
var informational = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
var plus = informational.IndexOf('+');
var version = plus < 0 ? informational : informational[..plus];
var commit = plus < 0 ? null : informational[(plus + 1)..];

app.MapGet("/healthz", () => Results.Text("""{"status":"ok"}""", "application/json"));
// IMAGE_TEST_UNREADY=1 keeps the service alive but never ready (for the suite's readiness timeout test).
var unready = Environment.GetEnvironmentVariable("IMAGE_TEST_UNREADY") == "1";
app.MapGet("/readyz", () => unready
    ? Results.Text("""{"status":"unready"}""", "application/json", statusCode: 503)
    : Results.Text("""{"status":"ready"}""", "application/json"));
app.MapGet("/version", () => Results.Text(new JsonObject { ["version"] = version, ["commit"] = commit }.ToJsonString(), "application/json"));
app.MapGet("/api/greeting", () => Results.Text(new JsonObject { ["message"] = "hello from the image test service", ["version"] = version }.ToJsonString(), "application/json"));
app.Run();
