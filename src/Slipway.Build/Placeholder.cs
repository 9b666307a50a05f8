namespace Slipway.Build; internal static class Placeholder { }
