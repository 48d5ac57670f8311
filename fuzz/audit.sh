#!/usr/bin/env bash
# Dependency audit against the dated RustSec advisory database copy in ../shared/advisory-db
# (it cannot be fetched here). Installs cargo-audit when missing. Fails on a vulnerability or an
# unsound-crate advisory; other warnings (unmaintained, yanked) are printed and must each be
# fixed or explained in docs/security.md. Audits the main workspace's Cargo.lock and the fuzz
# workspace's.
#
# usage: fuzz/audit.sh [extra cargo-audit arguments]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
db="${KGW_ADVISORY_DB:-$root/../shared/advisory-db}"

if ! cargo audit --version >/dev/null 2>&1; then
    echo "installing cargo-audit"
    cargo install --locked cargo-audit
fi
if [ ! -d "$db" ]; then
    echo "advisory database not found at $db" >&2
    exit 2
fi
if [ -f "$db/SOURCE.md" ]; then
    echo "advisory database: $db ($(grep -m1 -io '20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]' "$db/SOURCE.md" || echo 'undated'))"
fi

status=0
for lock in "$root/Cargo.lock" "$root/fuzz/Cargo.lock"; do
    [ -f "$lock" ] || continue
    echo "== ${lock#"$root"/}"
    # cargo-audit exits non-zero on a vulnerability, and on the warning kinds given to --deny.
    if ! cargo audit --db "$db" --no-fetch --stale --deny unsound --file "$lock" "$@"; then
        status=1
    fi
done
exit "$status"
