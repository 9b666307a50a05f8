using System.Security.Cryptography;
using System.Text;

namespace Beacon.Configuration;

/// <summary>
/// The configuration hash Beacon reports on /version.
/// </summary>
/// <remarks>
/// CONTRACT, shared with the pipeline's SmokeTest (which computes the same hash from the ConfigMap in Git):
/// lowercase hex SHA-256 over, for each ConfigMap key (one file of the config directory) in ordinal order of
/// its name, the UTF-8 bytes of the name, a 0x00 byte, the file's bytes, a 0x00 byte.
/// No keys (an empty or missing directory) is the hash of nothing:
/// e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.
/// Change this and the SmokeTest must change with it.
/// </remarks>
public static class ConfigHash
{
    /// <summary>Hashes ConfigMap entries given as (key, content) pairs, in any order.</summary>
    public static string Compute(IEnumerable<KeyValuePair<string, byte[]>> entries)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ReadOnlySpan<byte> separator = [0];
        foreach (var (name, content) in entries.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name));
            sha.AppendData(separator);
            sha.AppendData(content);
            sha.AppendData(separator);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
