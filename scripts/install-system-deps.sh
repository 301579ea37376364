#!/usr/bin/env bash
# Installs, from Debian's packages, the programs that Tandem's tests and benchmarks drive
# as real clients or anchors (psql, pgbench, haproxy, ...). Idempotent: a package already
# installed is skipped, and apt is not touched when nothing is missing.
#
#   scripts/install-system-deps.sh            # what `npm test` needs
#   scripts/install-system-deps.sh --bench    # also the anchors that bench/ measures against
set -euo pipefail

# command-to-package pairs; the list grows as parts need real clients.
test_needs=(
)
bench_needs=(
)

wanted=("${test_needs[@]}")
if [[ "${1:-}" == "--bench" ]]; then wanted+=("${bench_needs[@]}"); fi

missing=()
for pair in "${wanted[@]}"; do
  command_name=${pair%%:*}
  package_name=${pair#*:}
  if ! command -v "$command_name" >/dev/null 2>&1; then missing+=("$package_name"); fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "[notice] system dependencies: all present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "[error] system dependencies missing (${missing[*]}); run this script as root or install them with apt-get" >&2
  exit 1
fi

echo "[notice] system dependencies: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
