#!/bin/sh
# determinism.sh SEEDS REFERENCE OTHER... — every build of tests/hashes must print the
# same hashes as REFERENCE for SEEDS seeds of every scenario, and so must REFERENCE
# itself under Valgrind for a few seeds. Exits 1 on the first difference.
set -eu
seeds=$1; shift
reference=$1; shift
out=build/det/out
mkdir -p "$out"
"$reference" "$seeds" > "$out/reference.txt"
lines=$(wc -l < "$out/reference.txt")
status=0
for binary in "$@"; do
    name=$(basename "$(dirname "$binary")")
    case $name in
    aarch64) QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64 "$binary" "$seeds" > "$out/$name.txt" ;;
    *) "$binary" "$seeds" > "$out/$name.txt" ;;
    esac
    if cmp -s "$out/reference.txt" "$out/$name.txt"; then
        echo "determinism: $name matches $(basename "$(dirname "$reference")") ($lines runs)"
    else
        echo "determinism: $name DIFFERS from the reference:"
        diff "$out/reference.txt" "$out/$name.txt" | head -5
        status=1
    fi
done
valgrind_seeds=3
"$reference" $valgrind_seeds > "$out/valgrind-reference.txt"
valgrind --quiet --error-exitcode=9 "$reference" $valgrind_seeds > "$out/valgrind.txt"
if cmp -s "$out/valgrind-reference.txt" "$out/valgrind.txt"; then
    echo "determinism: valgrind matches ($(wc -l < "$out/valgrind.txt") runs)"
else
    echo "determinism: valgrind DIFFERS:"
    diff "$out/valgrind-reference.txt" "$out/valgrind.txt" | head -5
    status=1
fi
exit $status
