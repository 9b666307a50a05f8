using Slipway.Testing;

// One registry for every test class of this assembly that needs a plain one (started on first use, so the fast tier
// starts none); tests with their own registry configuration start their own.
[assembly: AssemblyFixture(typeof(SharedRegistry))]
