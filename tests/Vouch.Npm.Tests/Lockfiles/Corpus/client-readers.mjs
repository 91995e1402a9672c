// Reads every lockfile of the corpus with the package manager's own reader and prints, per file,
// the registry packages it pins as sorted "name@version" strings (JSON on stdout).
//   node client-readers.mjs <lockfile-readers dir> <bun binary> <corpus dir>
// The readers: npm's @npmcli/arborist (loadVirtual), pnpm's @pnpm/lockfile.fs (readWantedLockfile +
// readEnvLockfile) with @pnpm/lockfile.utils (nameVerFromPkgSnapshot), @yarnpkg/lockfile (yarn
// classic), @yarnpkg/parsers (berry's parseSyml), and bun's own JSONC parser for bun.lock (bun has
// no lockfile API; it reads bun.lock as JSONC). Versions are fixed by scripts/lockfile-readers.
// Which entries count as "registry packages" is decided here from each reader's output alone.
import { createRequire } from 'node:module'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'

const [readersDir, bunBinary, corpusDir] = process.argv.slice(2)
const req = createRequire(path.join(readersDir, 'package.json'))
const load = async (name) => import(req.resolve(name))
const Arborist = req('@npmcli/arborist')
const yarnClassic = req('@yarnpkg/lockfile')
const { parseSyml } = req('@yarnpkg/parsers')
const pnpmFs = await load('@pnpm/lockfile.fs')
const pnpmUtils = await load('@pnpm/lockfile.utils')
// pnpm 11 no longer reads 5.x/6.x lockfiles: those go to the readers of pnpm 7 and pnpm 8, with the
// dependency-path parser each of them uses.
const oldPnpm = Object.fromEntries(['pnpm7-lockfile-file', 'pnpm8-lockfile-file'].map((name) => {
  const own = createRequire(req.resolve(name))
  return [name, { reader: own(req.resolve(name)), depPath: own('@pnpm/dependency-path') }]
}))

const semver = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/
const registryTarball = (url) => /^https?:\/\//i.test(url) && /\/-\/[^/]+\.tgz([?#].*)?$/i.test(url)
const splitNameAt = (text) => {
  const at = text.indexOf('@', text.startsWith('@') ? 1 : 0)
  return at <= 0 ? null : [text.slice(0, at), text.slice(at + 1)]
}

// Arborist drops lockfile v1's "bundled": true when it converts the tree, so the locations of
// bundled entries (and everything below them) are taken from the raw file to leave them out.
function v1BundledLocations (lock) {
  const found = new Set()
  const walk = (deps, prefix, inBundle) => {
    for (const [name, entry] of Object.entries(deps ?? {})) {
      const location = `${prefix}node_modules/${name}`
      const bundled = inBundle || entry?.bundled === true
      if (bundled) found.add(location)
      walk(entry?.dependencies, `${location}/`, bundled)
    }
  }
  if (lock.lockfileVersion === 1 || lock.lockfileVersion === undefined) walk(lock.dependencies, '', false)
  return found
}

async function readNpm (dir, text) {
  const tree = await new Arborist({ path: dir }).loadVirtual()
  let bundled = new Set()
  try { bundled = v1BundledLocations(JSON.parse(text)) } catch {}
  const out = []
  for (const node of tree.inventory.values()) {
    if (bundled.has(node.location)) continue
    // Folders outside node_modules are the project's own (workspaces, linked folders); entries inside
    // a dependency's bundle ship in its tarball (the root's own bundleDependencies are fetched).
    if (node.isRoot || node.isLink || node.isWorkspace || node.inDepBundle || node.isProjectRoot) continue
    if (!node.location.split('/').includes('node_modules')) continue
    if (!node.version || !semver.test(node.version)) continue
    if (node.resolved && !registryTarball(node.resolved)) continue
    out.push(`${node.packageName}@${node.version}`)
  }
  return out
}

function pnpmPackages (lockfile, out, nameVer = pnpmUtils.nameVerFromPkgSnapshot) {
  for (const [depPath, snapshot] of Object.entries(lockfile?.packages ?? {})) {
    const res = snapshot.resolution ?? {}
    if (res.type === 'git' || res.type === 'directory' || res.type === 'variations' || res.type === 'binary' || res.commit || res.directory) continue
    if (res.tarball && !(registryTarball(res.tarball))) continue
    const nv = nameVer(depPath, snapshot)
    // Some of pnpm's hand-kept 9.0 fixtures still use 5.x-style "/name@1.0.0" keys; pnpm 11 then
    // reports the name with the slash, which no registry package has.
    const name = nv.name?.replace(/^\//, '')
    const version = nv.version
    if (!version || !semver.test(version)) continue
    // A tarball dependency keyed name@https://… is not a registry package even when the URL looks like one.
    const key = splitNameAt(depPath.replace(/^\//, '').replace(/\(.*$/, ''))
    if (res.tarball && key && /^https?:/.test(key[1])) continue
    out.push(`${name}@${version}`)
  }
}

async function readPnpm (dir, text) {
  const out = []
  const major = /^lockfileVersion: '?(\d+)/m.exec(text)?.[1]
  if (major === '5' || major === '6') {
    const old = oldPnpm[major === '5' ? 'pnpm7-lockfile-file' : 'pnpm8-lockfile-file']
    const lockfile = await old.reader.readWantedLockfile(dir, { ignoreIncompatible: false })
    if (lockfile == null) throw new Error('pnpm read no lockfile')
    pnpmPackages(lockfile, out, (depPath, snapshot) => {
      const parsed = old.depPath.parse(depPath)
      return { name: snapshot.name ?? parsed.name, version: snapshot.version ?? parsed.version }
    })
    return out
  }
  const wanted = await pnpmFs.readWantedLockfile(dir, { ignoreIncompatible: false })
  pnpmPackages(wanted, out)
  pnpmPackages(await pnpmFs.readEnvLockfile(dir), out)
  return out
}

function readYarn (text) {
  const out = []
  if (!/^__metadata:/m.test(text)) {
    const parsed = yarnClassic.parse(text)
    if (parsed.type !== 'success') throw new Error(`yarn lockfile: ${parsed.type}`)
    for (const [descriptors, entry] of Object.entries(parsed.object)) {
      if (!entry.version || !semver.test(entry.version)) continue
      if (entry.resolved && !registryTarball(entry.resolved)) continue
      // "alias@npm:real@^1" descriptors name the real package after npm:.
      const first = splitNameAt(descriptors.split(',')[0].trim().replace(/^"|"$/g, ''))
      if (first && /^(file:|link:|portal:|git[+:@]|https?:|github:|\.{0,2}\/)/.test(first[1])) continue
      let name = first?.[0]
      if (first && first[1].startsWith('npm:')) name = splitNameAt(first[1].slice(4))?.[0] ?? name
      if (name) out.push(`${name}@${entry.version}`)
    }
    return out
  }
  const parsed = parseSyml(text)
  for (const [key, entry] of Object.entries(parsed)) {
    if (key === '__metadata' || typeof entry?.resolution !== 'string') continue
    const locator = splitNameAt(entry.resolution)
    if (!locator || !locator[1].startsWith('npm:')) continue
    const version = locator[1].slice(4)
    if (semver.test(version)) out.push(`${locator[0]}@${version}`)
  }
  return out
}

function readBun (file) {
  const json = execFileSync(bunBinary, ['-e', 'process.stdout.write(JSON.stringify(Bun.JSONC.parse(require("fs").readFileSync(process.argv[1], "utf8"))))', file], { maxBuffer: 1 << 28 })
  const lock = JSON.parse(json)
  const out = []
  for (const entry of Object.values(lock.packages ?? {})) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') continue
    const ident = splitNameAt(entry[0])
    // [name@version, registry, meta, integrity] is a registry package; other sources carry a spec.
    if (ident && semver.test(ident[1]) && entry.length === 4) out.push(`${ident[0]}@${ident[1]}`)
  }
  return out
}

function* corpusFiles (dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) yield * corpusFiles(p)
    else if (e.name.endsWith('.gz')) yield p
  }
}

const results = []
for (const gz of corpusFiles(corpusDir)) {
  const name = path.basename(gz, '.gz')
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vouch-corpus-'))
  const file = path.join(work, name)
  const text = zlib.gunzipSync(fs.readFileSync(gz)).toString('utf8')
  fs.writeFileSync(file, text)
  const rel = path.relative(corpusDir, gz).split(path.sep).join('/')
  try {
    let packages
    if (name === 'package-lock.json' || name === 'npm-shrinkwrap.json') packages = await readNpm(work, text)
    else if (name === 'pnpm-lock.yaml') packages = await readPnpm(work, text)
    else if (name === 'yarn.lock') packages = readYarn(text)
    else if (name === 'bun.lock') packages = readBun(file)
    else throw new Error(`unknown lockfile name ${name}`)
    results.push({ file: rel, ok: true, packages: [...new Set(packages)].sort() })
  } catch (err) {
    results.push({ file: rel, ok: false, error: String(err?.message ?? err).split('\n')[0], packages: [] })
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}
process.stdout.write(JSON.stringify(results))
