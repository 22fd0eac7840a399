#!/bin/sh
# catalog.sh DETSIM SEEDS OUT_DIR — the bug catalog sweep: every scenario, every
# variant (`detsim sweep NAME --variant all`) over seeds 0..SEEDS-1. Each sweep's
# output goes to OUT_DIR/NAME.txt; OUT_DIR/summary.txt gathers the tables. Fails when
# any variant did not behave as declared (a fix that failed a seed, a bug that did
# not reproduce) or any sweep could not run.
set -u
detsim=$1
seeds=$2
out=$3
mkdir -p "$out"
summary="$out/summary.txt.tmp"
: >"$summary"
status=0
for name in $("$detsim" list --names); do
    "$detsim" sweep "$name" --variant all --count "$seeds" --quiet >"$out/$name.txt" 2>&1
    rc=$?
    {
        echo "== $name ($seeds seeds)"
        # the table, from its header to the first line that is not a row; a
        # scenario without variants has no table, only its result line
        if grep -q '^config ' "$out/$name.txt"; then
            sed -n '/^config /,/^  /p' "$out/$name.txt" | sed '$d'
        else
            grep '^result:' "$out/$name.txt"
        fi
        [ $rc -eq 0 ] || echo "!! $name: exit $rc (see $out/$name.txt)"
    } >>"$summary"
    [ $rc -eq 0 ] || status=1
done
mv "$summary" "$out/summary.txt"

# The same as a Markdown table (the catalog table of docs/catalog.md is made from it).
awk -v seeds="$seeds" '
    /^== / { scenario = $2; next }
    /^config / { n = split($0, header, / +/); next }
    BEGIN {
        print "| scenario | variant | declared | outcomes over " seeds " seeds | first failing seed | verdict |"
        print "|---|---|---|---|---|---|"
    }
    /^result: all / { printf "| `%s` | (none) | pass | pass %s | - | ok |\n", scenario, $3; next }
    /^result:/ { printf "| `%s` | (none) | pass | %s | - | FAILS |\n", scenario, $0; next }
    /^!! / { next }
    NF > 0 {
        # header: config seeds OUTCOME... failed first failing declared verdict
        # row:    NAME   N     COUNT...   RATE   SEED          DECLARED VERDICT...
        k = n - 7
        outcomes = ""
        for (i = 3; i < 3 + k; i++)
            if ($i + 0 > 0)
                outcomes = outcomes (outcomes ? ", " : "") header[i] " " $i
        verdict = $(6 + k)
        for (i = 7 + k; i <= NF; i++)
            verdict = verdict " " $i
        printf "| `%s` | %s | %s | %s | %s | %s |\n", scenario, $1, $(5 + k), outcomes, \
            $(4 + k), verdict
    }' "$out/summary.txt" >"$out/catalog.md.tmp"
mv "$out/catalog.md.tmp" "$out/catalog.md"
cat "$out/summary.txt"
if [ $status -eq 0 ]; then
    echo "catalog: every variant of every scenario behaved as declared over $seeds seeds"
else
    echo "catalog: FAILED: some variant did not behave as declared (see above)"
fi
exit $status
