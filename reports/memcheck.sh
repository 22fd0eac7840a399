#!/bin/sh
# memcheck.sh OUTDIR DETSIM COMMAND... — runs COMMAND (the test binary; DETSIM_BIN is
# set to DETSIM for it), then a sample of sweeps of DETSIM (reports/sweep_sample.sh;
# they run in OUTDIR/sweeps, where their summaries go), under Valgrind memcheck,
# following child processes (Criterion forks and re-executes the test binary for
# every test; a sweep forks its workers) with one log per process, then reads every
# log: neither Criterion nor a sweep fails on Valgrind errors, so this script does.
# Writes OUTDIR/summary.txt (one line per process: program, errors, definitely and
# indirectly lost bytes) and exits 1 on any error or any definite or indirect leak,
# or when COMMAND fails, or a sweep ends in bad input, an internal error, or a
# crashed or timed-out seed. The shell is traced, so detsim processes that tests
# start through it are checked too (the shell's own findings are listed but not
# counted); the small tools they call (sed, cmp, ...) are not traced.
set -u
out=$1
detsim=$2
shift 2
rm -rf "$out"
mkdir -p "$out/logs" "$out/sweeps"
out=$(cd "$out" && pwd) # absolute: tests change directory before starting detsim
detsim=$(cd "$(dirname "$detsim")" && pwd)/$(basename "$detsim")
root=$(pwd)

DETSIM_BIN=$detsim valgrind --trace-children=yes \
    --trace-children-skip='*/sed,*/cmp,*/head,*/ls,*/cat,*/rm,*/grep,*/diff' \
    --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect \
    --log-file="$out/logs/%p.log" "$@"
status=$?

echo "memcheck: a sample of sweeps (reports/sweep_sample.sh) under Valgrind"
sh reports/sweep_sample.sh "$detsim" "$out/sweeps" valgrind --trace-children=yes \
    --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --log-file="$out/logs/%p.log"
sweep_status=$?

awk -v root="$root/" '
    FNR == 1 { if (file) emit(); file = FILENAME; program = "?"; errors = 0; definite = 0; indirect = 0 }
    /== Command: / {
        sub(/.*== Command: /, ""); program = $1
        if (index(program, root) == 1) program = substr(program, length(root) + 1)
        # a detsim process: its subcommand and scenario too
        if (program ~ /(^|\/)detsim$/) program = program " " $2 " " $3
    }
    /ERROR SUMMARY:/ { for (i = 1; i <= NF; i++) if ($i == "SUMMARY:") errors = $(i + 1) + 0 }
    /definitely lost:/ { for (i = 1; i <= NF; i++) if ($i == "lost:") { v = $(i + 1); gsub(/,/, "", v); definite = v + 0 } }
    /indirectly lost:/ { for (i = 1; i <= NF; i++) if ($i == "lost:") { v = $(i + 1); gsub(/,/, "", v); indirect = v + 0 } }
    function emit() {
        n = split(file, parts, "/"); pid = parts[n]; sub(/\.log$/, "", pid)
        # The shell is traced only so that the detsim processes it starts are;
        # what the system shell itself does is not ours to judge.
        system_program = program ~ /^\/(usr\/)?bin\//
        printf "%-8s %-36s errors=%d definitely_lost=%d indirectly_lost=%d%s\n", pid, program, errors, definite, indirect, system_program ? " (system program, not counted)" : ""
        if (system_program) return
        processes++; total_errors += errors; total_lost += definite + indirect
        if (errors + definite + indirect > 0) bad++
    }
    END {
        if (file) emit()
        printf "TOTAL processes=%d errors=%d lost_bytes=%d failing_processes=%d\n", processes, total_errors, total_lost, bad
    }
' "$out"/logs/*.log > "$out/summary.txt.tmp" && mv "$out/summary.txt.tmp" "$out/summary.txt"
echo "memcheck: $(grep -c 'detsim sweep ' "$out/summary.txt") detsim sweep processes, parents and workers (the tests start some too)"
tail -1 "$out/summary.txt"
if grep -q 'failing_processes=0$' "$out/summary.txt"; then
    echo "memcheck: clean ($out/summary.txt)"
else
    echo "memcheck: FAILED; the processes with errors or leaks:"
    grep -v '^TOTAL' "$out/summary.txt" | grep -v 'errors=0 definitely_lost=0 indirectly_lost=0' |
        grep -v 'not counted'
    exit 1
fi
# The command's own status counts too (a failing test under Valgrind), and so does
# a sweep that could not run.
[ $status -eq 0 ] || exit $status
exit $sweep_status
