namespace Vouch.Gate;
