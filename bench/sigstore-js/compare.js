'use strict';
// Single-thread throughput of @sigstore/verify on the recorded npm attestations, the JavaScript side
// of ../sigstore-compare.sh. Each operation is what Vouch's `--quick` loop does per bundle: parse the
// bundle JSON, build the signed entity, verify it against the trusted root (certificate chain at the
// log's integrated time, SCT, Rekor entry: SET, inclusion proof + checkpoint when present, body, and
// the DSSE signature), then check the in-toto subject's sha512 against the tarball's (Vouch's
// verifier does that step itself; @sigstore/verify leaves it to the caller).
// No network: the trust material comes from the fixture's trusted_root.json, never from TUF.
//
// usage: node compare.js FIXTURES_NPM_DIR [--seconds T] [--warmup W] [--set provenance|publish|all]
// prints: sigstore-js <bundles/s> bundles/s (<n> verifications in <t> s, <k> bundles, <set>, 1 thread)
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const SLSA = 'https://slsa.dev/provenance/';
const PUBLISH = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1';
const REGISTRY_KEY_ID = 'SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA';
const TARBALLS = {
  'sigstore@1.0.0': 'sigstore-1.0.0.tgz',
  'tuf-js@1.0.0': 'tuf-js-1.0.0.tgz',
  '@sigstore%2fprotobuf-specs@0.2.1': 'sigstore-protobuf-specs-0.2.1.tgz',
};

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const dir = process.argv[2];
const seconds = Number(option('--seconds', '10'));
const warmup = Number(option('--warmup', '2'));
const set = option('--set', 'provenance');
if (!dir || !(seconds > 0) || !(warmup >= 0) || !['provenance', 'publish', 'all'].includes(set)) {
  console.error('usage: node compare.js FIXTURES_NPM_DIR [--seconds T] [--warmup W] [--set provenance|publish|all]');
  process.exit(2);
}

// Trust material: the public-good trusted root, plus the npm registry key for publish attestations
// (the key finder checks its validity window against the Rekor integrated time).
const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(path.join(dir, 'trusted_root.json'), 'utf8')));
const registryKeys = {};
for (const k of JSON.parse(fs.readFileSync(path.join(dir, 'registry-keys.tuf.json'), 'utf8')).keys) {
  if (k.keyId === REGISTRY_KEY_ID && k.keyUsage === 'npm:attestations') {
    registryKeys[k.keyId] = {
      rawBytes: Buffer.from(k.publicKey.rawBytes, 'base64'),
      keyDetails: k.publicKey.keyDetails,
      validFor: { start: new Date(k.publicKey.validFor.start), end: k.publicKey.validFor.end && new Date(k.publicKey.validFor.end) },
    };
  }
}
// Default thresholds (1 tlog entry, 1 SCT, 1 timestamp): the same as Vouch's VerifierOptions.
const verifier = new Verifier(toTrustMaterial(root, registryKeys));

// The same bundles as Vouch, as compact JSON text (what an HTTP response body gives).
const cases = [];
for (const [pkg, tarball] of Object.entries(TARBALLS)) {
  const sha512 = crypto.createHash('sha512').update(fs.readFileSync(path.join(dir, 'tarballs', tarball))).digest('hex');
  const doc = JSON.parse(fs.readFileSync(path.join(dir, 'attestations', pkg + '.json'), 'utf8'));
  for (const a of doc.attestations) {
    const provenance = a.predicateType.startsWith(SLSA);
    if (!provenance && a.predicateType !== PUBLISH) throw new Error(`${pkg}: unexpected predicate ${a.predicateType}`);
    if (set === 'all' || (set === 'provenance') === provenance) {
      cases.push({ name: `${pkg} (${a.predicateType})`, json: JSON.stringify(a.bundle), sha512 });
    }
  }
}

function verifyOne(c) {
  const bundle = bundleFromJSON(JSON.parse(c.json));
  verifier.verify(toSignedEntity(bundle)); // throws a VerificationError on any failed check
  const statement = JSON.parse(bundle.content.dsseEnvelope.payload.toString('utf8'));
  if (!statement.subject.some((s) => s.digest && s.digest.sha512 === c.sha512)) {
    throw new Error(`${c.name}: no subject has the tarball's sha512`);
  }
}

// Every bundle must verify before anything is timed: a benchmark of a failing path means nothing.
for (const c of cases) {
  try {
    verifyOne(c);
  } catch (e) {
    console.error(`sigstore-js: ${c.name} does not verify: ${e.code || ''} ${e.message}`);
    process.exit(1);
  }
}

function run(limit) {
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(limit * 1e9));
  let count = 0;
  let now;
  do {
    for (const c of cases) verifyOne(c);
    count += cases.length;
    now = process.hrtime.bigint();
  } while (now < end);
  return [count, Number(now - start) / 1e9];
}

if (warmup > 0) run(warmup);
const [count, elapsed] = run(seconds);
console.log(`sigstore-js ${(count / elapsed).toFixed(1)} bundles/s (${count} verifications in ${elapsed.toFixed(2)} s, ${cases.length} bundles, ${set}, 1 thread)`);
