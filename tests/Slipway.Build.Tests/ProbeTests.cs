namespace Slipway.Build.Tests;
public class ProbeTests { [Fact] public void Runs() => Assert.Equal(2, 1 + 1); }
