#!/usr/bin/env bash
# Checks an evidence package as a forensic examiner would, with standard tools only (bash,
# coreutils, unzip, openssl, jq, ffprobe): unzips it into a fresh folder and runs there every
# check line ("  $ ...") of the package README, exactly as written. No project code runs here.
#
# Usage: examiner-check.sh PACKAGE.zip EXPECTED_FINGERPRINT [README]
#   README: the file to take the check lines from (default: the package's own README.txt; the
#   tests pass the genuine package's README when checking a tampered copy, as an examiner would
#   follow the published instructions rather than ones an attacker edited).
# Prints "PASS n: <command>" or "FAIL n: <command>" per check; exits 0 only if every check passed.
set -u
if [ "$#" -lt 2 ]; then
  echo "usage: $0 PACKAGE.zip EXPECTED_FINGERPRINT [README]" >&2
  exit 2
fi
PKG=$(realpath "$1")
EXPECTED=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! unzip -q "$PKG" -d "$work/pkg"; then
  echo "FAIL 0: unzip could not read the package"
  exit 1
fi
README=${3:-$work/pkg/README.txt}
if [ ! -f "$README" ]; then
  echo "FAIL 0: no README with the checks ($README)"
  exit 1
fi
export PKG EXPECTED
n=0
failed=0
while IFS= read -r line; do
  n=$((n + 1))
  cmd=${line#  \$ }
  if (cd "$work/pkg" && bash -o pipefail -c "$cmd") >"$work/out" 2>&1; then
    echo "PASS $n: $cmd"
  else
    failed=$((failed + 1))
    echo "FAIL $n: $cmd"
    head -n 5 "$work/out" | sed 's/^/      /'
  fi
done < <(grep '^  \$ ' "$README")
echo "$n checks, $failed failed"
[ "$n" -gt 0 ] && [ "$failed" -eq 0 ]
