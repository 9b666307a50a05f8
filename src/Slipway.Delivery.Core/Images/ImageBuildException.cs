namespace Slipway.Delivery.Images;

/// <summary>An image build failed; the message says what and, where known, how to fix it.</summary>
public sealed class ImageBuildException : Exception
{
    public ImageBuildException(string message) : base(message) { }
    public ImageBuildException(string message, Exception inner) : base(message, inner) { }
}
