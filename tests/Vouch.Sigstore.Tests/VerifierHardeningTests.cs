using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;

namespace Vouch.Sigstore.Tests;

/// <summary>Checks borrowed from sigstore-go: no threshold of 0 unless asked for by an `Unsafe` switch; identity patterns anchored at the very end.</summary>
public sealed class VerifierHardeningTests
{
    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(1, 0, 1)]
    [InlineData(1, 1, 0)]
    public void Constructor_WhenAThresholdIsZeroWithoutTheUnsafeSwitch_Throws(int tlog, int sct, int time)
    {
        var options = new VerifierOptions { TlogThreshold = tlog, SctThreshold = sct, ObserverTimestampThreshold = time };
        var e = Assert.Throws<ArgumentException>(() => new SigstoreVerifier(TrustedRoot.PublicGood, options));
        Assert.Contains("AllowZeroThresholdsUnsafe", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_WhenZeroIsAskedForByTheUnsafeSwitch_Builds()
    {
        _ = new SigstoreVerifier(TrustedRoot.PublicGood, new VerifierOptions { TlogThreshold = 0, SctThreshold = 0, ObserverTimestampThreshold = 0, AllowZeroThresholdsUnsafe = true });
    }

    [Fact]
    public void Constructor_WhenAThresholdIsNegative_ThrowsEvenWithTheUnsafeSwitch()
    {
        Assert.Throws<ArgumentException>(() => new SigstoreVerifier(TrustedRoot.PublicGood, new VerifierOptions { TlogThreshold = -1, AllowZeroThresholdsUnsafe = true }));
    }

    [Fact]
    public void Constructor_WhenDefaults_Builds() => _ = new SigstoreVerifier(TrustedRoot.PublicGood);

    [Theory]
    [InlineData("https://github.com/o/r/.github/workflows/release.yml@refs/heads/main", true)]
    [InlineData("https://github.com/o/r/.github/workflows/release.yml@refs/heads/main\n", false)]
    [InlineData("https://github.com/o/r/.github/workflows/release.yml@refs/heads/mainx", false)]
    [InlineData("xhttps://github.com/o/r/.github/workflows/release.yml@refs/heads/main", false)]
    public void Pattern_WhenTheSanHasATrailingNewline_DoesNotMatch(string san, bool matches)
    {
        var identity = CertificateIdentity.Pattern(@"https://github\.com/o/r/\.github/workflows/release\.yml@refs/heads/main", "https://token.actions.githubusercontent.com");
        Assert.Equal(matches, identity.SanMatches([san]));
    }

    [Fact]
    public void Pattern_WhenTheIssuerIsAPatternAndHasATrailingNewline_DoesNotMatch()
    {
        var identity = CertificateIdentity.Pattern(".*", @"https://token\.actions\.githubusercontent\.com", issuerIsPattern: true);
        Assert.True(identity.IssuerMatches("https://token.actions.githubusercontent.com"));
        Assert.False(identity.IssuerMatches("https://token.actions.githubusercontent.com\n"));
    }
}
