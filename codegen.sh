#!/usr/bin/env bash
# Regenerate generated/ from spec/ with the pinned toolchain.
#   ./codegen.sh          rewrite generated/ (python/ package + openapi/openapi.json)
#   ./codegen.sh --check  regenerate into a temporary folder and fail if generated/ differs
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
spec=$root/spec
mode=${1:-write}
case $mode in write|--check) ;; *) echo "usage: $0 [--check]" >&2; exit 2 ;; esac

# pygen's pip step fails when PYTHONUNBUFFERED is set.
unset PYTHONUNBUFFERED

install_toolchain() {
  local stamp=$spec/node_modules/.codegen-stamp
  local want
  want=$(cat "$spec/package-lock.json" "$spec/pygen-constraints.txt" | sha256sum | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    return
  fi
  echo "codegen: installing the pinned toolchain (npm ci)" >&2
  (cd "$spec" && PIP_CONSTRAINT="$spec/pygen-constraints.txt" npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$want" > "$stamp"
}

install_toolchain
# TypeSpec 1.16 needs Node 22: the pinned "node" package brings it.
export PATH=$spec/node_modules/node/bin:$spec/node_modules/.bin:$PATH

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$spec" && tsp compile client.tsp --output-dir "$work/out" --warn-as-error=false >"$work/tsp.log" 2>&1) || {
  cat "$work/tsp.log" >&2
  echo "codegen: TypeSpec compilation failed" >&2
  exit 1
}

# Keep only the package folder and the OpenAPI document; the emitter's metadata files and
# namespace __init__.py files belong to a standalone package, not to ours.
stage=$work/generated
mkdir -p "$stage/python" "$stage/openapi"
cp -R "$work/out/python/azure/planetarycomputer/_generated/." "$stage/python/"
cp "$work/out/openapi/openapi.json" "$stage/openapi/openapi.json"
find "$stage" -name "__pycache__" -type d -prune -exec rm -rf {} +

if [[ $mode == --check ]]; then
  if diff -rq "$root/generated" "$stage" >"$work/diff.txt" 2>&1; then
    echo "codegen: generated/ is up to date with spec/"
    exit 0
  fi
  echo "codegen: generated/ differs from what spec/ produces:" >&2
  sed -e "s#$stage#<regenerated>#g" -e "s#$root/##g" "$work/diff.txt" >&2
  diff -ru "$root/generated" "$stage" 2>/dev/null | sed -e "s#$stage#<regenerated>#g" -e "s#$root/##g" | head -n 60 >&2 || true
  echo "codegen: run ./codegen.sh and commit spec/ and generated/ together" >&2
  exit 1
fi

rm -rf "$root/generated"
mv "$stage" "$root/generated"
echo "codegen: wrote generated/ from spec/"
