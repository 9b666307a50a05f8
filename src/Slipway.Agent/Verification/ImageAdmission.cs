namespace Slipway.Agent.Verification;

public enum ImageAdmissionOutcome
{
    /// <summary>The image verified with a trusted key.</summary>
    Verified,
    /// <summary>The image did not verify, and the environment only audits: it runs, with <see cref="ImageAdmission.Message"/> as the warning.</summary>
    AdmittedWithWarning,
    /// <summary>The image did not verify and the environment enforces: it must not run.</summary>
    Refused,
    /// <summary>The check itself failed (registry unreachable, unreadable key): no verdict, try again later.</summary>
    Unverifiable,
}

/// <summary>Whether an environment may run an image, and the one line that says why.</summary>
public sealed record ImageAdmission(ImageAdmissionOutcome Outcome, string Message)
{
    /// <summary>Verified or audited: the image may run.</summary>
    public bool Permitted => Outcome is ImageAdmissionOutcome.Verified or ImageAdmissionOutcome.AdmittedWithWarning;
}
