'use strict'
// Answers range/version questions with the real `semver` package so SemverOracleTests can compare
// them with Vouch.Npm's answers. Reads one JSON question document on stdin, writes one JSON answer.
const semver = require('semver')

let text = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => { text += chunk })
process.stdin.on('end', () => {
  const question = JSON.parse(text)
  const answer = {
    semverVersion: require('semver/package.json').version,
    ranges: question.ranges.map((q) => {
      const options = { includePrerelease: q.includePrerelease }
      let canonical = null
      try {
        canonical = semver.validRange(q.range, options)
      } catch {
        canonical = null
      }
      return {
        canonical,
        satisfies: q.versions.map((v) => semver.satisfies(v, q.range, options)),
        max: semver.maxSatisfying(q.versions, q.range, options),
      }
    }),
    versions: question.versions.map((v) => {
      const parsed = semver.parse(v)
      return parsed ? parsed.version : null
    }),
    compares: question.compares.map(([a, b]) => semver.compare(a, b)),
  }
  process.stdout.write(JSON.stringify(answer))
})
