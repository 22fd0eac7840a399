#!/bin/sh
# differential.sh DETSIM SEEDS RUNS OUTDIR — make differential: every portable
# scenario (detsim list --portable) and each of its variants, SEEDS simulated seeds
# and RUNS real runs each (detsim differential). Writes every table to
# OUTDIR/differential.txt and every run to OUTDIR/SCENARIO.jsonl; prints the tables
# and one closing line. Exits 1 when a configuration disagrees or a command fails
# (2 when a real run cannot start: no PID namespace here).
set -u
detsim=$1 seeds=$2 runs=$3 out=$4
mkdir -p "$out" || exit 2
: > "$out/differential.txt"
scenarios=0 failed="" status=0
for scenario in $("$detsim" list --portable --names); do
    scenarios=$((scenarios + 1))
    "$detsim" differential "$scenario" --count "$seeds" --real-runs "$runs" \
        --json "$out/$scenario.jsonl" > "$out/$scenario.txt" 2>&1
    rc=$?
    cat "$out/$scenario.txt" | tee -a "$out/differential.txt"
    if [ $rc -ne 0 ]; then
        failed="$failed $scenario"
        [ $rc -eq 2 ] && status=2
        [ $status -eq 0 ] && status=1
    fi
done
configs=$(grep -E ' (agree|DISAGREE)' "$out/differential.txt" | grep -vc '^result:')
if [ -z "$failed" ]; then
    echo "differential: $scenarios portable scenarios, $configs configurations: every one agrees"
else
    echo "differential: $scenarios portable scenarios, $configs configurations; failed:$failed"
fi
exit $status
