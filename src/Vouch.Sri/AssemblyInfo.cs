namespace Vouch.Sri;
