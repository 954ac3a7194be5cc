#!/usr/bin/env bash
# Regenerates src/tflite/schema/schema_generated.ts (the TypeScript accessors for TFLite's
# schema.fbs) with flatc, the FlatBuffers compiler. Usage: scripts/gen-tflite-schema.sh [outdir]
#
# flatc is Debian's flatbuffers-compiler 2.0.8 (scripts/install-flatc.sh installs it). It
# predates the `(deprecated)` attribute on enum values and union members that two lines of the
# current schema.fbs carry; those attributes are dropped before compiling (they only mark the
# names as not to be used: the values and the wire format stay the same).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-src/tflite/schema}"
want="flatc version 2.0.8"
have="$(flatc --version 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
  echo "gen-tflite-schema: needs '$want' (got '${have:-no flatc}'); run scripts/install-flatc.sh" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sed -E 's/^(\s*[A-Za-z_0-9]+ = [0-9]+) \(deprecated\)/\1/; s/^(\s*[A-Za-z_0-9]+) \(deprecated\),$/\1,/' \
  src/tflite/schema/schema.fbs > "$tmp/schema.fbs"
flatc --ts --ts-flat-files --gen-object-api -o "$tmp/out" "$tmp/schema.fbs"
mkdir -p "$out"
cp "$tmp/out/schema_generated.ts" "$out/schema_generated.ts"
