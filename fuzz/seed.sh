#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds: every manifest under ../shared/examples and
# ../shared/conformance/manifests (the conformance GatewayClass placeholder filled in), plus the
# committed hostile inputs under tests/hostile/ and the small hand-written seeds in fuzz/seeds/.
# The corpus folder is gitignored; libFuzzer adds what it finds next to these seeds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
shared="${KGW_SHARED:-$root/../shared}"

manifests() {
    for dir in "$shared/examples" "$shared/conformance/manifests" "$root/tests/hostile"; do
        [ -d "$dir" ] && find "$dir" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \)
    done | sort
}

seed_from_manifests() {
    local target="$1" out="$here/corpus/$1"
    mkdir -p "$out"
    local n=0
    while IFS= read -r file; do
        local name
        name="$(printf '%s' "${file#"$root"/}" | tr '/' '_')"
        sed 's/{GATEWAY_CLASS_NAME}/kgw/g' "$file" >"$out/$name"
        n=$((n + 1))
    done < <(manifests)
    echo "$target: $n manifest seeds"
}

seed_from_dir() {
    local target="$1" out="$here/corpus/$1"
    mkdir -p "$out"
    if [ -d "$here/seeds/$target" ]; then
        cp "$here/seeds/$target"/* "$out/"
    fi
    echo "$target: $(find "$out" -type f | wc -l) seeds"
}

for target in $(ls "$here/fuzz_targets" | sed -n 's/\.rs$//p'); do
    case "$target" in
        load_manifest | check_manifest) seed_from_manifests "$target" ;;
        *) seed_from_dir "$target" ;;
    esac
done
