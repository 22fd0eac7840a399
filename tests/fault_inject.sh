#!/bin/sh
# fault_inject.sh DETSIM PRELOAD WORKDIR — detsim under faults of its own system
# calls (`make faultinject`). sweep, merge, replay and shrink run with the Nth call to
# write, fsync, rename, fork or malloc failing (PRELOAD: tests/fault_preload.c), for
# N spread over the calls each makes, and with stdio's writes failing (file size
# limits, /dev/full). Each case must either complete (exit 0 or 1, its result printed
# whole) or exit 2 or 3 with a "detsim: " line on stderr; never die of a signal,
# never leave a temporary file, and never leave a results file that a resume cannot
# complete or a report cut short. Prints a line per failed case and a table of the
# cases tried; exits 1 when any failed.
set -u
detsim=$(realpath "$1")
preload=$(realpath "$2")
work=$3
rm -rf "$work"
mkdir -p "$work/fixtures"
work=$(realpath "$work")
cd "$work/fixtures" || exit 2
"$detsim" sweep lock-order --count 60 --jobs 2 --shard 1/2 --json a.jsonl --quiet > /dev/null
"$detsim" sweep lock-order --count 60 --jobs 2 --shard 2/2 --json b.jsonl --quiet > /dev/null
"$detsim" run lock-order --seed 8 --expect hang-deadlock --save-repro lo8.repro --quiet > /dev/null
"$detsim" replay lo8.repro --trace trace.txt --quiet > /dev/null
rm -rf reports

SWEEP="sweep lock-order --count 200 --jobs 2 --json r.jsonl --junit j.xml --quiet"
command_of() {
    case $1 in
    sweep) echo "$SWEEP" ;;
    merge) echo "merge a.jsonl b.jsonl" ;;
    replay) echo "replay lo8.repro --trace t.txt --report p.html" ;;
    shrink) echo "shrink lo8.repro --output s.repro" ;;
    esac
}

# What each command prints without faults: a case that completes prints the same.
for name in sweep merge replay shrink; do
    mkdir -p "$work/expected/$name"
    cp "$work/fixtures/a.jsonl" "$work/fixtures/b.jsonl" "$work/fixtures/lo8.repro" \
        "$work/expected/$name/"
    (cd "$work/expected/$name" && "$detsim" $(command_of $name) > ../$name.txt 2> /dev/null)
done

failures=0
cases=0
fail() {
    echo "FAIL: $case_name: $1"
    failures=$((failures + 1))
    eval "fail_$class=\$((fail_$class + 1))"
}

# The checks of one case, run in its directory after the command ended with $1.
check_case() {
    status=$1
    if [ "$status" -ge 128 ]; then
        fail "killed by signal $((status - 128))"
    elif [ "$status" -ge 2 ]; then
        grep -q '^detsim: ' err.txt || fail "exit $status without a message"
    elif ! cmp -s out.txt "$work/expected/$name.txt"; then
        fail "exit $status, but not the result it prints without faults: $(diff out.txt \
            "$work/expected/$name.txt" | head -3 | tr '\n' ' ')"
    fi
    leftovers=$(find . -name '*.tmp.*' | head -3)
    [ -z "$leftovers" ] || fail "temporary files left: $leftovers"
    if [ -f r.jsonl ]; then
        "$detsim" $SWEEP --resume > resume.txt 2>&1
        resumed=$?
        if [ $resumed -gt 1 ] || [ "$(tail -n +2 r.jsonl | wc -l)" -ne 200 ]; then
            fail "the results file cannot be resumed (exit $resumed): $(tail -1 resume.txt)"
        fi
    fi
    if [ -f j.xml ] && [ "$status" -le 1 ] && ! tail -1 j.xml | grep -qx '</testsuites>'; then
        fail "j.xml cut short"
    fi
    if [ -f t.txt ] && ! cmp -s t.txt ../fixtures/trace.txt; then
        fail "t.txt is not the whole trace"
    fi
    if [ -f p.html ] && ! tail -1 p.html | grep -q '</html>'; then
        fail "p.html cut short"
    fi
    if [ -f s.repro ] && ! "$detsim" replay s.repro --quiet > /dev/null 2>&1; then
        fail "s.repro does not replay"
    fi
}

# run_case NAME CLASS COMMAND ENV...: one case in a fresh directory.
run_case() {
    case_name=$1
    class=$2
    cmd=$3
    shift 3
    cases=$((cases + 1))
    eval "tried_$class=\$((tried_$class + 1))"
    dir="$work/case-$cases"
    mkdir -p "$dir"
    cp "$work/fixtures/a.jsonl" "$work/fixtures/b.jsonl" "$work/fixtures/lo8.repro" "$dir/"
    cd "$dir" || exit 2
    env "$@" "$detsim" $cmd > out.txt 2> err.txt
    check_case $?
    cd "$work" || exit 2
    rm -rf "$dir"
}

# The N to try for a call made K times by the command's own process: the first few,
# the quarters, the last, a few past it (only its children get that far: workers,
# the children that run a scenario), and twelve spread by a fixed seed.
points() {
    awk -v k="$1" -v seed="$2" 'BEGIN {
        if (k < 1) k = 1
        srand(seed)
        for (i = 1; i <= 5; i++) n[i]
        n[k]; n[int(k / 4) + 1]; n[int(k / 2) + 1]; n[int(3 * k / 4) + 1]
        n[k + 1]; n[k + 10]; n[2 * k + 5]
        for (i = 0; i < 12; i++) n[int(rand() * k) + 1]
        for (x in n) print x + 0
    }' | sort -n
}

for class in write fsync rename fork malloc stdio; do
    eval "tried_$class=0; fail_$class=0"
done
seed=1
for name in sweep merge replay shrink; do
    cmd=$(command_of $name)
    counted="$work/count"
    mkdir -p "$counted"
    cp "$work/fixtures/a.jsonl" "$work/fixtures/b.jsonl" "$work/fixtures/lo8.repro" "$counted/"
    (cd "$counted" && env LD_PRELOAD="$preload" DETSIM_FAIL_COUNT=counts "$detsim" $cmd \
        > /dev/null 2>&1)
    for call in write fsync rename fork malloc; do
        k=$(awk -v c=$call '$1 == c { print $2; exit }' "$counted/counts")
        for n in $(points "${k:-0}" $seed); do
            run_case "$name, $call #$n of ${k}" $call "$cmd" LD_PRELOAD="$preload" \
                DETSIM_FAIL="$call:$n"
        done
        seed=$((seed + 1))
    done
    rm -rf "$counted"
    # stdio's writes: stdout to a full disk, and files past a size limit
    for blocks in 1 3 8 20; do
        case_name="$name, file size limit $blocks blocks"
        class=stdio
        cases=$((cases + 1))
        tried_stdio=$((tried_stdio + 1))
        dir="$work/case-$cases"
        mkdir -p "$dir"
        cp "$work/fixtures/a.jsonl" "$work/fixtures/b.jsonl" "$work/fixtures/lo8.repro" "$dir/"
        cd "$dir" || exit 2
        (ulimit -f $blocks; exec "$detsim" $cmd > out.txt 2> err.txt)
        check_case $?
        cd "$work" || exit 2
        rm -rf "$dir"
    done
done

# stdout to /dev/full needs its own redirection: once per command.
for name in sweep merge replay shrink; do
    case_name="$name, stdout to /dev/full"
    class=stdio
    cases=$((cases + 1))
    tried_stdio=$((tried_stdio + 1))
    dir="$work/case-$cases"
    mkdir -p "$dir"
    cp "$work/fixtures/a.jsonl" "$work/fixtures/b.jsonl" "$work/fixtures/lo8.repro" "$dir/"
    cd "$dir" || exit 2
    "$detsim" $(command_of $name) > /dev/full 2> err.txt
    status=$?
    if [ $status -ne 3 ] || ! grep -q 'No space left on device' err.txt; then
        fail "exit $status: $(cat err.txt)"
    fi
    cd "$work" || exit 2
    rm -rf "$dir"
done

echo "faultinject: call | cases tried | failures"
for class in write fsync rename fork malloc stdio; do
    eval "echo \"faultinject: $class | \$tried_$class | \$fail_$class\""
done
echo "faultinject: $cases cases, $failures failed"
[ $failures -eq 0 ]
