#!/usr/bin/env bash
# Fuzz smoke for CI: installs cargo-fuzz when missing, seeds the corpora, builds every target
# on stable (`-s none`: coverage-guided, panics caught, no AddressSanitizer) and runs each for a
# bounded time. Fails when a target does not build or finds a crash, timeout or OOM; the
# reproducer is left in fuzz/artifacts/<target>/.
#
# usage: fuzz/smoke.sh [SECONDS_PER_TARGET] [TARGET]...      (default: 20 s, every target)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-20}"
shift || true

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install --locked cargo-fuzz
fi

cd "$here"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(ls fuzz_targets | sed -n 's/\.rs$//p')
fi

./seed.sh >/dev/null
cargo fuzz build -s none

# Targets that read manifests share the YAML dictionary.
dict_arg() {
    case "$1" in
        load_manifest | check_manifest) echo "-dict=dicts/yaml.dict" ;;
    esac
}

status=0
for target in "${targets[@]}"; do
    log="$(mktemp)"
    if cargo fuzz run -s none "$target" "corpus/$target" -- \
        $(dict_arg "$target") -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1; then
        result=ok
    else
        result=FAILED
        status=1
        tail -n 60 "$log"
    fi
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)"
    printf '%-20s %-6s %10s execs in %ss  %s\n' "$target" "$result" "${execs:-?}" "$seconds" "$cov"
    rm -f "$log"
done
exit "$status"
