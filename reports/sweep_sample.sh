#!/bin/sh
# sweep_sample.sh DETSIM OUTDIR [WRAPPER...] — a small sample of sweeps for the
# memory checkers (make memcheck, make asan), each run as WRAPPER DETSIM sweep ...
# with one worker (--jobs 1): every scenario (and its variants, once sweep has
# --variant), model and slot faults, a bug switch that leaks (its failure groups
# are rerun for repro files), world_check after every step, and a fail-nth loop (a
# forked run per N). Each sweep runs in OUTDIR: its output in OUTDIR/NAME.log, its
# repro files under OUTDIR/reports/out/repro.
#
# Exits 1 when a sweep ends in bad input or an internal error (exit 2 or more), a
# seed crashes or times out (an ASan or UBSan report ends a worker), or an output
# shows a sanitizer report. Seeds that fail are fine: the bug switch fails by design.
set -u
detsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$2
shift 2
mkdir -p "$out"
status=0

sweep() {
    name=$1
    shift
    # Under Valgrind or a sanitizer on a loaded machine the wall clock decides
    # nothing: a seed's limit is an hour (a spin in C still ends).
    (cd "$out" && "$@" --jobs 1 --time-limit 3600 --quiet) > "$out/$name.log" 2>&1
    rc=$?
    printf '  %-36s %s\n' "$name" "$(tail -1 "$out/$name.log")"
    if [ $rc -gt 1 ]; then
        echo "sweep sample: $name exited $rc: $*"
        status=1
    fi
    if grep -Eq '^  (crash|timeout) |^  N=[0-9]+ +(crash|timeout)' "$out/$name.log"; then
        echo "sweep sample: $name: a seed crashed or timed out (see $out/$name.log)"
        status=1
    fi
    if grep -Eq 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$out/$name.log"; then
        echo "sweep sample: $name: a sanitizer report (see $out/$name.log)"
        status=1
    fi
}

variants=0
"$detsim" sweep --help 2>&1 | grep -q -- '--variant' && variants=1
for s in $("$detsim" list --names); do
    sweep "$s" "$@" "$detsim" sweep "$s" --count 20
    [ $variants -eq 1 ] && sweep "$s-variants" "$@" "$detsim" sweep "$s" --count 10 --variant all
done
sweep ipc-faults "$@" "$detsim" sweep ipc-workload --count 40 --fault 'model/*:p=0.1' \
    --set infallible=true --set oom_policy=kill-process
sweep ipc-slots "$@" "$detsim" sweep ipc-workload --count 20 \
    --fault 'slots/handles:free=3,after=10' --fault 'slots/channels:free=2'
sweep ipc-leak "$@" "$detsim" sweep ipc-workload --count 20 --fault 'model/proc/handle:p=0.2' \
    --set bug_leak_undelivered_handles=true
sweep ipc-check "$@" "$detsim" sweep ipc-workload --count 10 --fault 'model/*:p=0.1' \
    --set check=true
sweep ipc-fail-nth "$@" "$detsim" sweep ipc-workload --fail-nth model/heap/alloc \
    --set infallible=true
exit $status
