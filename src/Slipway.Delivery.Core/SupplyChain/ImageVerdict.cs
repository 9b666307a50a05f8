using Slipway.Delivery.Oci;

namespace Slipway.Delivery.SupplyChain;

/// <summary>What a gate does with a verdict other than Verified: refuse (enforce) or let it through with a warning (audit).</summary>
public enum VerificationMode
{
    Enforce,
    Audit,
}

/// <summary>An attestation whose DSSE signature verified and whose statement names the image: its envelope and statement.</summary>
public sealed record VerifiedAttestation(DsseEnvelope Envelope, InTotoStatement Statement)
{
    public string PredicateType => Statement.PredicateType;
}

/// <summary>
/// The outcome of verifying an image: <see cref="Verified"/>, <see cref="Unsigned"/> or <see cref="Invalid"/>, each with a
/// reason a log line can quote. <see cref="Permitted"/> applies the mode: only Verified passes an enforcing gate.
/// </summary>
public abstract record ImageVerdict(ImageReference Image, VerificationMode Mode, string Reason)
{
    public bool Permitted => this is Verified || Mode == VerificationMode.Audit;

    /// <summary>One line for the log: "verified: …", "unsigned: …" or "invalid: …", and what audit mode let through.</summary>
    public sealed override string ToString() =>
        $"{Image}: {GetType().Name.ToLowerInvariant()}: {Reason}" +
        (this is not Verified && Mode == VerificationMode.Audit ? " (audit mode: allowed)" : "");

    /// <summary>The signature verified with the key, and so did every attestation required.</summary>
    public sealed record Verified(ImageReference Image, VerificationMode Mode, string Reason, IReadOnlyList<VerifiedAttestation> Attestations)
        : ImageVerdict(Image, Mode, Reason)
    {
        /// <summary>The CycloneDX SBOM attested, when there is one.</summary>
        public CycloneDxSbom? Sbom => Attestations.FirstOrDefault(a => a.PredicateType == CycloneDxSbom.PredicateType) is { } sbom
            ? CycloneDxSbom.Parse(sbom.Statement.Predicate)
            : null;

        /// <summary>The SLSA provenance attested, when there is one.</summary>
        public BuildProvenance? Provenance => Attestations.FirstOrDefault(a => a.PredicateType == SlsaProvenance.PredicateType) is { } provenance
            ? SlsaProvenance.Parse(provenance.Statement.Predicate)
            : null;
    }

    /// <summary>The registry holds no signature for the image (no sha256-&lt;hex&gt;.sig tag, or one without a signature layer).</summary>
    public sealed record Unsigned(ImageReference Image, VerificationMode Mode, string Reason) : ImageVerdict(Image, Mode, Reason);

    /// <summary>Signatures or attestations exist but do not hold: wrong key, changed payload, another image's digest, a missing attestation.</summary>
    public sealed record Invalid(ImageReference Image, VerificationMode Mode, string Reason) : ImageVerdict(Image, Mode, Reason);
}
