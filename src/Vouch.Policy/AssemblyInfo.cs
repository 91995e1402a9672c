namespace Vouch.Policy;
