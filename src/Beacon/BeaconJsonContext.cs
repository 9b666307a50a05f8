using System.Text.Json;
using System.Text.Json.Serialization;
using Beacon.Faults;
using Beacon.Greeting;
using Beacon.Health;
using Beacon.Versioning;

namespace Beacon;

/// <summary>Source-generated JSON for every answer, so serialization needs no reflection (trimming-friendly).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(HealthStatus))]
[JsonSerializable(typeof(ReadinessStatus))]
[JsonSerializable(typeof(VersionAnswer))]
[JsonSerializable(typeof(GreetingAnswer))]
[JsonSerializable(typeof(FaultAnswer))]
[JsonSerializable(typeof(DelayAnswer))]
[JsonSerializable(typeof(ErrorAnswer))]
[JsonSerializable(typeof(IndexAnswer))]
public sealed partial class BeaconJsonContext : JsonSerializerContext;

/// <summary>What / answers: the service, its version, and its endpoints.</summary>
public sealed record IndexAnswer(string Service, string Version, IReadOnlyList<string> Endpoints);
