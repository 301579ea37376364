#!/usr/bin/env bash
# Installs, from Debian's packages, the programs that Tandem's tests and benchmarks drive
# as real clients or anchors (psql, pgbench, haproxy, ...). Idempotent: a package already
# installed is skipped, and apt is not touched when nothing is missing.
#
#   scripts/install-system-deps.sh            # what `npm test` needs
#   scripts/install-system-deps.sh --bench    # also the anchors that bench/ measures against
set -euo pipefail

# check:package pairs, where check is a command looked up on PATH or, when it starts with
# a slash, an absolute path that must be executable (for programs the Debian packages keep
# outside PATH, or behind a wrapper that exists without them). The list grows as parts need
# real clients. Debian 12 ships pgbench 15 in the server package postgresql-15, not in
# postgresql-client-15; /usr/bin/pgbench is only postgresql-client-common's wrapper.
test_needs=(
  psql:postgresql-client
  /usr/lib/postgresql/15/bin/pgbench:postgresql-15
)
bench_needs=(
  /usr/lib/postgresql/15/bin/postgres:postgresql-15
  # The load balancer benchmark (bench/src/lb.ts): wrk drives tandem lb, HAProxy and nginx.
  wrk:wrk
  haproxy:haproxy
  /usr/sbin/nginx:nginx
)

wanted=("${test_needs[@]}")
if [[ "${1:-}" == "--bench" ]]; then wanted+=("${bench_needs[@]}"); fi

missing=()
for pair in "${wanted[@]}"; do
  check=${pair%%:*}
  package_name=${pair#*:}
  if [[ $check == /* ]]; then
    [[ -x $check ]] && continue
  elif command -v "$check" >/dev/null 2>&1; then
    continue
  fi
  [[ " ${missing[*]} " == *" $package_name "* ]] || missing+=("$package_name")
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
