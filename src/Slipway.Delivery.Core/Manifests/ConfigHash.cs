using System.Security.Cryptography;
using System.Text;

namespace Slipway.Delivery.Manifests;

/// <summary>
/// The hash a service reports for the configuration it runs with, computed the same way from a ConfigMap's data:
/// lowercase hex SHA-256 over, for each key in ordinal order, UTF-8(key), 0x00, UTF-8(value), 0x00.
/// </summary>
public static class ConfigHash
{
    public static string Compute(IReadOnlyDictionary<string, string> configMapData)
    {
        ArgumentNullException.ThrowIfNull(configMapData);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ReadOnlySpan<byte> separator = [0];
        foreach (var key in configMapData.Keys.Order(StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(key));
            hash.AppendData(separator);
            hash.AppendData(Encoding.UTF8.GetBytes(configMapData[key] ?? ""));
            hash.AppendData(separator);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
