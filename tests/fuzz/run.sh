#!/bin/sh
# run.sh BUILD SECONDS TARGET... — runs each libFuzzer target BUILD/fuzz_TARGET for
# SECONDS from its seed corpus (tests/fuzz/corpus/TARGET, from the docs' examples),
# growing a working corpus in BUILD/corpus/TARGET. Prints the executions and
# findings of each; exits 1 when any target found anything (its reproducer is in
# BUILD/findings/TARGET/).
set -u
build=$1
seconds=$2
shift 2
here=$(dirname "$0")
failed=0
for target in "$@"; do
    corpus=$build/corpus/$target
    findings=$build/findings/$target
    log=$build/fuzz_$target.log
    mkdir -p "$corpus" "$findings"
    # -timeout: one input may take 10 s at most; -rss_limit_mb: 2 GB at most.
    "$build/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" \
        "$here/corpus/$target" > "$log" 2>&1
    status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    count=$(ls "$findings" | wc -l)
    echo "fuzz: $target: ${execs:-?} executions in ${seconds}s, $count finding(s)"
    if [ "$status" -ne 0 ] || [ "$count" -ne 0 ]; then
        failed=1
        grep -m 5 -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | sed 's/^/    /'
    fi
done
exit $failed
