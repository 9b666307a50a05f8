using Microsoft.Extensions.Configuration.Json;

namespace Beacon.Configuration;

/// <summary>
/// A JSON configuration file that keeps its last good content when a reload finds it invalid, instead of
/// the framework's behaviour of dropping every value the file gave. An invalid file at start still fails
/// the start, with the framework's message naming the file.
/// </summary>
public sealed class LastGoodJsonConfigurationSource(Serilog.ILogger logger) : JsonConfigurationSource
{
    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new Provider(this, logger);
    }

    sealed class Provider(LastGoodJsonConfigurationSource source, Serilog.ILogger logger) : JsonConfigurationProvider(source)
    {
        bool _loadedOnce;

        public override void Load(Stream stream)
        {
            try
            {
                base.Load(stream);
                _loadedOnce = true;
            }
            catch (Exception exception) when (_loadedOnce)
            {
                logger.Error(exception,
                    "Configuration file {ConfigFile} is not valid JSON; keeping the previous settings until it is fixed",
                    source.FileProvider?.GetFileInfo(source.Path ?? "").PhysicalPath ?? source.Path);
            }
        }
    }
}
