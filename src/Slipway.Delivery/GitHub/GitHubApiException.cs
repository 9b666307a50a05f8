using System.Net;

namespace Slipway.Delivery.GitHub;

/// <summary>
/// GitHub refused a call or could not be reached. The message names the operation, the repository, GitHub's status and
/// message, and the likely fix; it never carries the token.
/// </summary>
public sealed class GitHubApiException : Exception
{
    public GitHubApiException(string message, HttpStatusCode? statusCode, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        IsTransient = isTransient;
    }

    /// <summary>GitHub's HTTP status; null when no answer came (connection refused, timeout).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>A 5xx, a rate limit or no answer at all: trying again later may succeed.</summary>
    public bool IsTransient { get; }
}

/// <summary>A step of delivery through GitHub did not end as required (rejected, red checks, timed out).</summary>
public sealed class GitHubDeliveryException(string message) : Exception(message);
