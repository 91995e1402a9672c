namespace Vouch.Npm.Tests.Specs;

public sealed class PackageSpecTests
{
    [Theory]
    [InlineData("lodash", "lodash", PackageSpecKind.Range, "*")]
    [InlineData("lodash@", "lodash", PackageSpecKind.Range, "*")]
    [InlineData("lodash@4.17.21", "lodash", PackageSpecKind.Version, "4.17.21")]
    [InlineData("lodash@v4.17.21", "lodash", PackageSpecKind.Version, "4.17.21")]
    [InlineData("lodash@^4.17", "lodash", PackageSpecKind.Range, "^4.17")]
    [InlineData("lodash@>=1.2.3 <2", "lodash", PackageSpecKind.Range, ">=1.2.3 <2")]
    [InlineData("lodash@ 1.x || 2.x ", "lodash", PackageSpecKind.Range, "1.x || 2.x")]
    [InlineData("lodash@latest", "lodash", PackageSpecKind.Tag, "latest")]
    [InlineData("lodash@next-11", "lodash", PackageSpecKind.Tag, "next-11")]
    [InlineData("@sigstore/protobuf-specs", "@sigstore/protobuf-specs", PackageSpecKind.Range, "*")]
    [InlineData("@sigstore/protobuf-specs@0.2.1", "@sigstore/protobuf-specs", PackageSpecKind.Version, "0.2.1")]
    [InlineData("@sigstore/protobuf-specs@~0.2", "@sigstore/protobuf-specs", PackageSpecKind.Range, "~0.2")]
    [InlineData("@sigstore/protobuf-specs@beta", "@sigstore/protobuf-specs", PackageSpecKind.Tag, "beta")]
    [InlineData("JSONStream@1.3.5", "JSONStream", PackageSpecKind.Version, "1.3.5")]
    public void TryParse_WhenRegistrySpec_ReturnsNameKindAndSpec(string argument, string name, PackageSpecKind kind, string fetchSpec)
    {
        Assert.True(PackageSpec.TryParse(argument, out var spec, out var error), error);
        Assert.Equal(name, spec.Name);
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(fetchSpec, spec.FetchSpec);
        Assert.Null(spec.Alias);
    }

    [Fact]
    public void TryParse_WhenScoped_ExposesScopeAndEscapedName()
    {
        var spec = PackageSpec.Parse("@sigstore/protobuf-specs@0.2.1");
        Assert.Equal("@sigstore", spec.Scope);
        Assert.Equal("@sigstore%2fprotobuf-specs", spec.EscapedName);
        Assert.Equal(SemVersion.Parse("0.2.1"), spec.Version);
    }

    [Theory]
    [InlineData("my-alias@npm:real-pkg@^1.2", "my-alias", "real-pkg", PackageSpecKind.Range, "^1.2")]
    [InlineData("my-alias@npm:real-pkg", "my-alias", "real-pkg", PackageSpecKind.Range, "*")]
    [InlineData("my-alias@npm:@scope/real@1.0.0", "my-alias", "@scope/real", PackageSpecKind.Version, "1.0.0")]
    [InlineData("@me/alias@NPM:real@next", "@me/alias", "real", PackageSpecKind.Tag, "next")]
    public void TryParse_WhenNpmAlias_FetchesTheRealPackage(string argument, string alias, string name, PackageSpecKind kind, string fetchSpec)
    {
        Assert.True(PackageSpec.TryParse(argument, out var spec, out var error), error);
        Assert.Equal(alias, spec.Alias);
        Assert.Equal(name, spec.Name);
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(fetchSpec, spec.FetchSpec);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData(".hidden", "cannot start with a period")]
    [InlineData("_private", "cannot start with an underscore")]
    [InlineData("node_modules", "not a valid package name")]
    [InlineData("with space@1.0.0", "URL-friendly")]
    [InlineData("@scope", "URL-friendly")]
    [InlineData("@/name", "URL-friendly")]
    [InlineData("a@npm:b@npm:c@1", "nested")]
    [InlineData("a@npm:", "names no package")]
    [InlineData("npm:foo@1", "URL or git")]
    [InlineData("foo@git+https://github.com/a/b.git", "URL or git")]
    [InlineData("foo@github:a/b", "URL or git")]
    [InlineData("foo@a/b", "GitHub shorthand")]
    [InlineData("foo@file:../foo", "local file")]
    [InlineData("foo@./foo", "local file")]
    [InlineData("foo@https://example.com/foo.tgz", "URL or git")]
    [InlineData("./foo.tgz", "path, tarball")]
    [InlineData("user/repo", "path, tarball")]
    [InlineData("git@github.com:a/b.git", "URL or git")]
    [InlineData("foo@jsr:@std/path", "JSR")]
    [InlineData("foo@^1.2.3.4", "invalid tag name")]
    [InlineData("foo@a b", "invalid tag name")]
    public void TryParse_WhenNotAVerifiableRegistrySpec_FailsWithReason(string argument, string reasonPart)
    {
        Assert.False(PackageSpec.TryParse(argument, out var spec, out var error));
        Assert.Null(spec);
        Assert.Contains(reasonPart, error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void TryParse_WhenSpecIsDottedButNotSemver_TreatsItAsTagLikeNpm()
    {
        // npm-package-arg does the same: "1.2.3.4" is URL-safe, so it is a (probably missing) tag.
        var spec = PackageSpec.Parse("foo@1.2.3.4");
        Assert.Equal(PackageSpecKind.Tag, spec.Kind);
        Assert.Equal("1.2.3.4", spec.Tag);
    }

    [Fact]
    public void Parse_WhenInvalid_ThrowsFormatExceptionWithSameReason()
    {
        var e = Assert.Throws<FormatException>(() => PackageSpec.Parse("_x@1"));
        Assert.Contains("underscore", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_WhenAlias_RoundTrips()
    {
        Assert.Equal("a@npm:@s/b@^1", PackageSpec.Parse("a@npm:@s/b@^1").ToString());
        Assert.Equal("b@1.0.0", PackageSpec.Parse("b@v1.0.0").ToString());
    }
}

public sealed class PackageNameTests
{
    [Theory]
    [InlineData("some-package")]
    [InlineData("example.com")]
    [InlineData("under_score")]
    [InlineData("period.js")]
    [InlineData("123numeric")]
    [InlineData("@npm/thingy")]
    [InlineData("@jane/foo.js")]
    public void Validate_WhenModernName_IsValidForNewPackages(string name)
    {
        var v = PackageName.Validate(name);
        Assert.True(v.ValidForNewPackages, string.Join("; ", v.Errors.Concat(v.Warnings)));
    }

    [Theory]
    [InlineData("CAPITAL-LETTERS", "capital letters")]
    [InlineData("http", "core module")]
    [InlineData("ifyouwanttogetthesumoftwonumberswherethosetwonumbersarechosenbyfindingthelargestoftwooutofthreenumbersandsquaringthemwhichismultiplyingthembyitselfthenyoushouldinputthreenumbersintothisfunctionanditwilldothatforyou-", "214")]
    [InlineData("crazy!", "special characters")]
    public void Validate_WhenOnlyOldRulesAllow_WarnsButStaysValidForOldPackages(string name, string warningPart)
    {
        var v = PackageName.Validate(name);
        Assert.True(v.ValidForOldPackages);
        Assert.False(v.ValidForNewPackages);
        Assert.Contains(v.Warnings, w => w.Contains(warningPart, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "greater than zero")]
    [InlineData(".start-with-period", "period")]
    [InlineData("_start-with-underscore", "underscore")]
    [InlineData(" leading-space", "leading or trailing spaces")]
    [InlineData("contain:colons", "URL-friendly")]
    [InlineData("s/l/a/s/h/e/s", "URL-friendly")]
    [InlineData("@npm-zors/money!time.js", null)]
    [InlineData("favicon.ico", "not a valid package name")]
    public void Validate_WhenBroken_ReportsError(string name, string? errorPart)
    {
        var v = PackageName.Validate(name);
        if (errorPart is null)
        {
            // Scoped with a special character: URL-safe, but only for old packages.
            Assert.True(v.ValidForOldPackages);
            Assert.False(v.ValidForNewPackages);
            return;
        }

        Assert.False(v.ValidForOldPackages);
        Assert.Contains(v.Errors, e => e.Contains(errorPart, StringComparison.Ordinal));
    }
}
