#!/usr/bin/env bash
# Re-creates the lockfile corpus from local git mirrors of the source repositories (see SOURCES.md).
#   collect.sh PNPM_GIT_DIR NPM_CLI_GIT_DIR JEST_GIT_DIR PRETTIER_GIT_DIR HONO_GIT_DIR
# Every file is stored gzipped under <source>/<path with / as __>/<lockfile name>.gz so the client
# readers and ours both see the original file name. Only files the clients themselves wrote are
# taken; test inputs built to be invalid (pnpm's lockfile/fs/test/fixtures) are left out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pnpm_git=$1 npm_git=$2 jest_git=$3 prettier_git=$4 hono_git=$5
put() { # dir git_dir commit path
  local out="$here/$1/$(dirname "$4" | sed 's#/#__#g')"
  [[ -n ${5:-} ]] && out="$here/$1/$5"
  mkdir -p "$out"
  git --git-dir "$2" show "$3:$4" | gzip -9n >"$out/$(basename "$4").gz"
}
# pnpm's own lockfile, one commit per lockfileVersion it ever wrote (5 … 9.0, and pnpm 11's env document).
while read -r commit date label; do
  put pnpm-history "$pnpm_git" "$commit" pnpm-lock.yaml "$date-$label"
done <<'LIST'
257a77ac51a995a453211ece20a9eae273632417 2019-06-02 v5.0-importers-first
08d1ef36231a23e86a1578f947d152997614f7a0 2020-10-15 v5.1-importers-first
be861e471b9921e4c5adafbf97f583fc5359f2a2 2021-02-26 v5.2-importers-first
e5c15cb7fb6d068e0086419ec4256e63a5642bc9 2021-03-14 v5.3-importers-first
f37b075e9010e39f2d665f5990f578a7bf9d16c5 2022-04-07 v5.3
7334b347b9cd2fc095a305b9abb47ec982aa72db 2022-07-21 v5.4
841f52e709c301a8eb738573de549eea2b13f978 2022-12-24 v5.4-inlineSpecifiers
614d5bd7206c6b795102a6389c5e735e8c240b0a 2023-06-05 v6.1
19542ecd28bcbf856592d8aa77bb72f8cd0f06c8 2024-02-16 v6.0
a8ea3ed73151bafb5eb959b5b4fd05e25c4dd819 2024-03-27 v7.0
1c8c4e49f5b1294f6353933ddbd2ffc9b08dd6bc 2026-03-13 v9.0
bb4eecf412c7088200db73d495229156501161f3 2026-08-21 v9.0-pnpm11-env-document
LIST
# pnpm's test fixtures (written by pnpm), at the mirror's HEAD.
pnpm_head=$(git --git-dir "$pnpm_git" rev-parse HEAD)
git --git-dir "$pnpm_git" ls-tree -r -l "$pnpm_head" | awk '$4 > 0 && $5 ~ /(^|\/)pnpm-lock\.yaml$/ && $5 != "pnpm-lock.yaml" {print $5}' \
  | grep -v '^pnpm11/lockfile/fs/test/fixtures/' | while read -r f; do put pnpm-fixtures "$pnpm_git" "$pnpm_head" "$f"; done
# npm's arborist fixtures (package-lock.json, npm-shrinkwrap.json, yarn.lock), at the mirror's HEAD.
npm_head=$(git --git-dir "$npm_git" rev-parse HEAD)
git --git-dir "$npm_git" ls-tree -r -l "$npm_head" workspaces/arborist/test/fixtures \
  | awk '$4 > 0 && $5 ~ /\/(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock)$/ {print $5}' \
  | while read -r f; do put arborist "$npm_git" "$npm_head" "$f"; done
# yarn berry (and classic) lockfiles of jest's end-to-end projects, at the mirror's HEAD.
jest_head=$(git --git-dir "$jest_git" rev-parse HEAD)
git --git-dir "$jest_git" ls-tree -r -l "$jest_head" | awk '$4 > 0 && $4 < 200000 && $5 ~ /yarn\.lock$/ {print $5}' \
  | while read -r f; do put jest "$jest_git" "$jest_head" "$f"; done
# prettier's own yarn.lock: yarn classic, then berry metadata 6, 8 and 10.
while read -r commit date label; do
  put prettier-history "$prettier_git" "$commit" yarn.lock "$date-$label"
done <<'LIST'
310a5b1ba51ad6a3115670058d53a7ecb1dcd25c 2023-01-22 yarn-classic
a8bf66ae6353386ea7a39af6fe5914ed4dba3f59 2023-11-13 berry-v6
053fd418e180b12fa2014260212fae831f5fc5ec 2026-04-10 berry-v8
4f84a934201322ca87750e2b9b25baf296da6560 2026-07-24 berry-v10
LIST
# hono's bun.lock (lockfileVersion 0 and 1) and a nested benchmark's.
while read -r commit date label path; do
  put hono "$hono_git" "$commit" "$path" "$date-$label"
done <<'LIST'
0aa8acc6160f75443f386bcfdeb7362d5f44e181 2025-01-31 bun-v0 bun.lock
0ef206b47227acf59e06b8db69214958eda0d048 2025-01-31 bun-v1 bun.lock
9839ff32a349bf088b6ddfa604010879dd2d3a05 2026-08-03 bun-v1-later bun.lock
28a9c128912de19f3fb28b00ae289c9b93f6f392 2026-08-21 bun-v1-benchmarks-routers benchmarks/routers/bun.lock
28a9c128912de19f3fb28b00ae289c9b93f6f392 2026-08-21 npm-v3-benchmarks-query-param benchmarks/query-param/package-lock.json
LIST
echo "pnpm $pnpm_head, npm/cli $npm_head, jest $jest_head"
