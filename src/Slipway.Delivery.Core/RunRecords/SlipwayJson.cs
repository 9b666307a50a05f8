using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Slipway.Delivery.RunRecords;

/// <summary>The JSON shape of run records and DORA reports: camelCase, enums as camelCase strings, durations as seconds.</summary>
public static class SlipwayJson
{
    public static JsonSerializerOptions Compact { get; } = Create(indented: false);
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false), new SecondsConverter() },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>A duration as a number of seconds (millisecond precision), the unit every consumer can read.</summary>
    private sealed class SecondsConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Number
                ? TimeSpan.FromMilliseconds(Math.Round(reader.GetDouble() * 1000))
                : throw new JsonException("a duration must be a number of seconds");

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteRawValue(Math.Round(value.TotalSeconds, 3).ToString("0.###", CultureInfo.InvariantCulture));
    }
}
