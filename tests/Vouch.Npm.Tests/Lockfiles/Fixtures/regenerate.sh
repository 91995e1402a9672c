#!/usr/bin/env bash
# Re-creates the lockfile fixtures with the real clients, for the project in ./project (and the
# pnpm catalog project in ./pnpm-catalog/project). Each client runs in a scratch copy of the
# project with a blank user config, so the machine's ~/.npmrc (e.g. omit-lockfile-registry-resolved)
# cannot change what gets written. Only the lockfile is kept.
#
#   tests/Vouch.Npm.Tests/Lockfiles/Fixtures/regenerate.sh [client...]
#
# clients: npm-v3 npm-v2 npm-v1 pnpm-v9 pnpm-v6 pnpm-v5.4 pnpm-catalog yarn-classic yarn-berry bun
# (default: all). pnpm 9, yarn 1, yarn 4 and bun come from scripts/install-tools (VOUCH_TOOLS_DIR,
# default <repo>/.tools); npm comes with Node.js; npm 6, pnpm 7 and pnpm 8 run through `npx -y`.
# REGISTRY overrides the registry (default https://registry.npmjs.org/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
tools=${VOUCH_TOOLS_DIR:-$repo/.tools}
registry=${REGISTRY:-https://registry.npmjs.org/}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

export NPM_CONFIG_USERCONFIG=$scratch/npmrc
printf 'registry=%s\n' "$registry" >"$NPM_CONFIG_USERCONFIG"
export NPM_CONFIG_REGISTRY=$registry NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NPM_CONFIG_UPDATE_NOTIFIER=false
export NPM_CONFIG_CACHE=$scratch/npm-cache
export YARN_CACHE_FOLDER=$scratch/yarn1-cache
export YARN_GLOBAL_FOLDER=$scratch/yarn4-global YARN_ENABLE_TELEMETRY=0 YARN_ENABLE_GLOBAL_CACHE=0
export YARN_NPM_REGISTRY_SERVER=${registry%/} YARN_ENABLE_IMMUTABLE_INSTALLS=0
export BUN_INSTALL_CACHE_DIR=$scratch/bun-cache
export CI=1

work() { # client -> fresh copy of the project
  local dir=$scratch/$1
  rm -rf "$dir"
  cp -R "$2" "$dir"
  echo "$dir"
}

keep() { # client file dir
  mkdir -p "$here/$1"
  cp "$3/$2" "$here/$1/$2"
  echo "regenerate: $1/$2"
}

run() {
  local client=$1 dir
  case $client in
    npm-v3)
      dir=$(work "$client" "$here/project"); rm -f "$dir/pnpm-workspace.yaml"
      (cd "$dir" && npm install --package-lock-only --ignore-scripts --lockfile-version 3 >/dev/null)
      keep "$client" package-lock.json "$dir" ;;
    npm-v2)
      dir=$(work "$client" "$here/project"); rm -f "$dir/pnpm-workspace.yaml"
      (cd "$dir" && npm install --package-lock-only --ignore-scripts --lockfile-version 2 >/dev/null)
      keep "$client" package-lock.json "$dir" ;;
    npm-v1)
      # npm 6 knows no workspaces; it writes lockfileVersion 1 for the root project only.
      dir=$(work "$client" "$here/project"); rm -f "$dir/pnpm-workspace.yaml"
      (cd "$dir" && npx -y npm@6 install --package-lock-only --ignore-scripts >/dev/null)
      keep "$client" package-lock.json "$dir" ;;
    pnpm-v9)
      dir=$(work "$client" "$here/project")
      (cd "$dir" && "$tools/pnpm/node_modules/.bin/pnpm" install --lockfile-only --ignore-scripts >/dev/null)
      keep "$client" pnpm-lock.yaml "$dir" ;;
    pnpm-v6)
      dir=$(work "$client" "$here/project")
      (cd "$dir" && npx -y pnpm@8 install --lockfile-only --ignore-scripts >/dev/null)
      keep "$client" pnpm-lock.yaml "$dir" ;;
    pnpm-v5.4)
      dir=$(work "$client" "$here/project")
      (cd "$dir" && npx -y pnpm@7 install --lockfile-only --ignore-scripts >/dev/null)
      keep "$client" pnpm-lock.yaml "$dir" ;;
    pnpm-catalog)
      dir=$(work "$client" "$here/pnpm-catalog/project")
      (cd "$dir" && "$tools/pnpm/node_modules/.bin/pnpm" install --lockfile-only --ignore-scripts >/dev/null)
      keep "$client" pnpm-lock.yaml "$dir" ;;
    yarn-classic)
      dir=$(work "$client" "$here/project"); rm -f "$dir/pnpm-workspace.yaml"
      (cd "$dir" && "$tools/yarn1/node_modules/.bin/yarn" install --ignore-scripts --non-interactive --no-progress \
        --registry "$registry" >/dev/null)
      keep "$client" yarn.lock "$dir" ;;
    yarn-berry)
      dir=$(work "$client" "$here/project"); rm -f "$dir/pnpm-workspace.yaml"
      printf 'nodeLinker: node-modules\nenableScripts: false\n' >"$dir/.yarnrc.yml"
      touch "$dir/yarn.lock"
      (cd "$dir" && "$tools/yarn4/node_modules/.bin/yarn" install --mode=update-lockfile >/dev/null)
      keep "$client" yarn.lock "$dir" ;;
    bun)
      dir=$(work "$client" "$here/project"); rm -f "$dir/pnpm-workspace.yaml"
      (cd "$dir" && "$tools/bun/node_modules/.bin/bun" install --lockfile-only --ignore-scripts --registry "$registry" >/dev/null)
      keep "$client" bun.lock "$dir" ;;
    *) echo "regenerate: unknown client $client" >&2; exit 2 ;;
  esac
}

clients=("$@")
[[ ${#clients[@]} -gt 0 ]] || clients=(npm-v3 npm-v2 npm-v1 pnpm-v9 pnpm-v6 pnpm-v5.4 pnpm-catalog yarn-classic yarn-berry bun)
for c in "${clients[@]}"; do run "$c"; done
