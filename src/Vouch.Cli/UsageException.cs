namespace Vouch.Cli;

/// <summary>Bad input or usage: reported as one line on stderr with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
