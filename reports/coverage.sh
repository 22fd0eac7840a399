#!/bin/sh
# coverage.sh BUILD OUTDIR — line and branch coverage of detsim's own sources.
#
# BUILD holds a gcov-instrumented detsim and test binary (make coverage builds them
# in build/coverage). This script zeroes the counters, runs the README and docs examples and
# the Criterion suites, then the standard sweep set (below), and writes to OUTDIR:
#   index.html       gcovr's report, one page per source file, lines and branches
#   summary.txt      lines and branches per directory and per file, totals last
#   coverage.csv     gcovr's per-file figures
#   coverage.xml     the same in Cobertura XML, for CI systems (GitLab, Jenkins)
#   failpoints.txt   how often each failpoint of 'detsim faults' fired in the sweeps
#   tests.log        what the examples check and the suites printed
#   sweeps/          each sweep's summary (NAME.log) and results (NAME.jsonl)
# It prints the totals last. Exit 1 when a test fails, a sweep exits with bad input
# or an internal error, a seed crashes or times out, gcovr fails, or a total falls
# below its threshold. A sweep whose seeds fail (exit 1) is fine: buggy
# configurations fail by design.
#
# COVERAGE_MIN_LINES and COVERAGE_MIN_BRANCHES (percent) are the thresholds; the
# defaults, 88 and 73, are the totals measured when they were set (88.6% of lines,
# 73.7% of branches, with explore, the strategies and the Linux backend merged).
#
# COVERAGE_SEEDS (default 500) is the seeds of each plain sweep; the fault sweeps
# take as many, the slower ones a fifth.
set -u
build=$1
out=$2
seeds=${COVERAGE_SEEDS:-500}
few=$((seeds / 5))
min_lines=${COVERAGE_MIN_LINES:-88}
min_branches=${COVERAGE_MIN_BRANCHES:-73}
root=$(pwd)
detsim=$root/$build/detsim
shown=$out # as given, for messages
rm -rf "$out"
mkdir -p "$out/sweeps"
out=$(cd "$out" && pwd) # absolute: the sweeps run in $out/sweeps
status=0
fail() {
    echo "coverage: FAILED: $*"
    status=1
}

# Counters from this run only; gcov adds to whatever .gcda files it finds.
find "$build/obj" -name '*.gcda' -exec rm -f {} +

echo "coverage: the examples of README.md and docs/ and the suites ($build/tests)"
sh tests/readme_check.sh "$build/detsim" README.md docs/*.md > "$out/tests.log" 2>&1 ||
    fail "README and docs examples (see $out/tests.log)"
DETSIM_BIN=$detsim "$build/tests" >> "$out/tests.log" 2>&1 ||
    fail "the suites (see $out/tests.log)"
grep -E '^readme:|Synthesis' "$out/tests.log" | sed 's/^/  /'

# sweep NAME ARGS...: detsim sweep ARGS, its results in sweeps/NAME.jsonl. Repro
# files go under sweeps/reports/out/repro, out of the way.
sweep() {
    name=$1
    shift
    begun=$(date +%s)
    # Instrumented, on a loaded machine: the wall clock decides nothing (an hour a seed).
    (cd "$out/sweeps" && "$detsim" sweep "$@" --time-limit 3600 --json "$name.jsonl" --quiet) \
        > "$out/sweeps/$name.log" 2>&1
    rc=$?
    printf '  %-36s %3d s  %s\n' "$name" $(($(date +%s) - begun)) "$(tail -1 "$out/sweeps/$name.log")"
    case $rc in
    0 | 1) ;;
    *) fail "sweep $name exited $rc: detsim sweep $*" ;;
    esac
    if grep -Eq '"outcome":"(crash|timeout)"' "$out/sweeps/$name.jsonl" 2>/dev/null; then
        fail "sweep $name: a seed crashed or timed out (see $out/sweeps/$name.log)"
    fi
}

# fail_nth NAME ARGS...: a fail-nth loop (it writes no results file).
fail_nth() {
    name=$1
    shift
    begun=$(date +%s)
    (cd "$out/sweeps" && "$detsim" sweep "$@" --time-limit 3600) > "$out/sweeps/$name.log" 2>&1
    rc=$?
    printf '  %-36s %3d s  %s\n' "$name" $(($(date +%s) - begun)) "$(tail -1 "$out/sweeps/$name.log")"
    case $rc in
    0 | 1) ;;
    *) fail "fail-nth $name exited $rc: detsim sweep $*" ;;
    esac
    if grep -Eq '^  N=[0-9]+ +(crash|timeout)' "$out/sweeps/$name.log"; then
        fail "fail-nth $name: a run crashed or timed out (see $out/sweeps/$name.log)"
    fi
}

started=$(date +%s)
echo "coverage: the sweep set ($seeds seeds a sweep; results in $shown/sweeps)"
scenarios=$("$detsim" list --names)
[ -n "$scenarios" ] || fail "detsim list printed no scenario"
variants=0
"$detsim" sweep --help 2>&1 | grep -q -- '--variant' && variants=1
for s in $scenarios; do
    sweep "$s" "$s" --count "$seeds"
    [ $variants -eq 1 ] && sweep "$s-variants" "$s" --count "$seeds" --variant all
    sweep "$s-pct" "$s" --count "$few" --strategy pct:depth=3,steps=100
    sweep "$s-faults" "$s" --count "$seeds" --fault 'model/*:p=0.05'
done
# ipc-workload drives every model: every error path, each OOM policy, slot faults,
# the fault spec keys, and world_check after every step.
sweep ipc-kill-process ipc-workload --count "$seeds" --fault 'model/*:p=0.1' \
    --set infallible=true --set oom_policy=kill-process
sweep ipc-reserve ipc-workload --count "$seeds" --fault 'model/heap/alloc:p=0.2' \
    --set infallible=true --set oom_policy=reserve --set reserve_bytes=4KiB
sweep ipc-halt ipc-workload --count "$few" --fault 'model/heap/alloc:p=0.1' --set infallible=true
sweep ipc-quota ipc-workload --count "$few" --set proc_quota_bytes=6KiB --set exit_bytes=512
sweep ipc-slots-channels ipc-workload --count "$seeds" --fault 'slots/channels:free=2,after=20'
sweep ipc-slots-procs ipc-workload --count "$seeds" --fault 'slots/procs:free=2'
sweep ipc-slots-handles ipc-workload --count "$seeds" --fault 'slots/handles:free=3,after=10'
sweep ipc-spec-keys ipc-workload --count "$seeds" --fault 'model/chan/*:every=2,times=3' \
    --fault 'model/proc/*:nth=2' --fault 'model/heap/alloc:after=40,p=0.3'
sweep ipc-check ipc-workload --count "$few" --fault 'model/*:p=0.1' --set check=true
# The bug switches: leaks and hangs, and the reports that explain them.
sweep ipc-bug-handles ipc-workload --count "$few" --fault 'model/proc/handle:p=0.2' \
    --set bug_leak_undelivered_handles=true
sweep ipc-bug-close ipc-workload --count "$few" --set bug_close_no_wake=true
sweep ipc-bug-reap ipc-workload --count "$few" --set bug_release_at_reap=true
# SQLite's malloc loop: transient, then persistent over every model failpoint.
fail_nth nth-heap-alloc ipc-workload --fail-nth model/heap/alloc
fail_nth nth-model-persistent ipc-workload --fail-nth 'model/*' --persistent \
    --set infallible=true --set oom_policy=kill-process
echo "coverage: sweeps took $(($(date +%s) - started)) s"

# Which failpoints fired: the "fired" member of every result line. The fail-nth
# loops write no results, and are not counted.
"$detsim" faults | awk '{ print $1 }' > "$out/failpoints.names"
cat "$out"/sweeps/*.jsonl 2>/dev/null | awk -v names="$out/failpoints.names" '
    BEGIN { while ((getline name < names) > 0) order[++points] = name }
    {
        runs++
        line = $0
        at = index(line, "\"fired\":{")
        if (!at) next
        fired = substr(line, at + 9)
        fired = substr(fired, 1, index(fired, "}") - 1)
        n = split(fired, pairs, ",")
        for (i = 1; i <= n; i++) {
            split(pairs[i], kv, ":")
            name = kv[1]; gsub(/"/, "", name)
            fires[name] += kv[2]; in_runs[name]++
        }
    }
    END {
        printf "# failpoints of detsim faults: fires over the %d runs of the coverage sweeps\n", runs
        printf "# (the sweeps/*.jsonl results; the fail-nth loops are not counted)\n"
        for (p = 1; p <= points; p++) {
            name = order[p]
            if (fires[name]) printf "%-20s fired %d times in %d runs\n", name, fires[name], in_runs[name]
            else { printf "%-20s never\n", name; never = never " " name }
        }
        printf "never fired:%s\n", never ? never : " none"
    }' > "$out/failpoints.txt"
rm -f "$out/failpoints.names"
echo "coverage: failpoints ($shown/failpoints.txt)"
sed -n 's/^never fired:/  never fired:/p' "$out/failpoints.txt"

# The report: detsim's own sources only (the tests and this build's _exit wrapper
# are not counted).
echo "coverage: gcovr"
gcovr --root . "$build/obj" -j 2 \
    --filter 'util/' --filter 'faults/' --filter 'model/' --filter 'sim/' --filter 'scenarios/' \
    --filter 'reports/' --filter 'cli/' \
    --exclude 'tests/' --exclude 'reports/gcov_exit\.c' --exclude-unreachable-branches \
    --html-details "$out/index.html" --html-title 'detsim coverage' \
    --csv "$out/coverage.csv" --cobertura "$out/coverage.xml" > "$out/gcovr.log" 2>&1 ||
    { fail "gcovr (see $out/gcovr.log)"; exit 1; }

# summary.txt from gcovr's per-file figures: filename, line_total, line_covered,
# line_percent, branch_total, branch_covered, ...
awk -F, '
    function row(name, lt, lc, bt, bc) {
        printf "%-28s %6d/%-6d %6.1f%%   %6d/%-6d %6.1f%%\n", name, lc, lt, lt ? 100 * lc / lt : 100,
            bc, bt, bt ? 100 * bc / bt : 100
    }
    NR == 1 { next }
    {
        file[++files] = $1; lt[files] = $2; lc[files] = $3; bt[files] = $5; bc[files] = $6
        dir = $1; sub(/\/.*/, "/", dir)
        if (!(dir in dlt)) dirs[++ndirs] = dir
        dlt[dir] += $2; dlc[dir] += $3; dbt[dir] += $5; dbc[dir] += $6
        tlt += $2; tlc += $3; tbt += $5; tbc += $6
    }
    END {
        printf "%-28s %21s   %21s\n", "coverage", "lines", "branches"
        for (d = 1; d <= ndirs; d++) row(dirs[d], dlt[dirs[d]], dlc[dirs[d]], dbt[dirs[d]], dbc[dirs[d]])
        print ""
        for (f = 1; f <= files; f++) row(file[f], lt[f], lc[f], bt[f], bc[f])
        print ""
        row("total", tlt, tlc, tbt, tbc)
        printf "lines: %.1f%% (%d of %d)\n", tlt ? 100 * tlc / tlt : 100, tlc, tlt
        printf "branches: %.1f%% (%d of %d)\n", tbt ? 100 * tbc / tbt : 100, tbc, tbt
    }' "$out/coverage.csv" > "$out/summary.txt"

# The thresholds, on the totals of the summary (as rounded there, to 0.1%).
below=$(awk -v lines="$min_lines" -v branches="$min_branches" '
    /^lines: / { sub(/%/, "", $2); if ($2 + 0 < lines) printf "lines %s%% < %s%%; ", $2, lines }
    /^branches: / { sub(/%/, "", $2); if ($2 + 0 < branches) printf "branches %s%% < %s%%; ", $2, branches }
    ' "$out/summary.txt")
[ -z "$below" ] || fail "below the thresholds: $below(COVERAGE_MIN_LINES, COVERAGE_MIN_BRANCHES)"

echo "coverage: $shown/index.html, $shown/summary.txt, $shown/coverage.xml (Cobertura)"
sed -n '1,/^$/p' "$out/summary.txt" | sed '/^$/d'
[ $status -eq 0 ] || echo "coverage: FAILED (see above)"
tail -2 "$out/summary.txt"
echo "coverage: thresholds lines $min_lines%, branches $min_branches%"
exit $status
