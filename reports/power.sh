#!/bin/sh
# power.sh DETSIM SEEDS OUT_DIR [JOBS] — how well each schedule strategy finds each
# bug: for every variant of the catalog declared to fail (and the extra rows below),
# `detsim sweep --strategy S` over seeds 0..SEEDS-1 for each strategy of the list,
# then the failure rate (seeds that reproduce the declared failure) and the seeds to
# the first failure (the lowest such seed + 1). For every small fixed variant
# (every variant declared to pass whose seed 0 runs under 300 steps), the result of
# `detsim explore --delays 2` when this detsim has that command.
# Writes OUT_DIR/power.md (a Markdown table, pasted into docs/power.md) and the
# sweeps' results files beside it.
set -u

# The strategies, one word each, as `detsim sweep --strategy` takes them. A new
# strategy is one more word here; one this detsim does not know is skipped, with a
# note in the output.
STRATEGIES="random pct:depth=1 pct:depth=2 pct:depth=3 pos delay preempt portfolio"

# Extra rows: "SCENARIO VARIANT --set K=V ..." for the hard form of a scenario.
EXTRA_ROWS="classic-held-back buggy --set workers=9 --set polls=2"

detsim=$1
seeds=$2
out=$3
jobs=${4:-2}
mkdir -p "$out"
table="$out/power.md.tmp"
notes="$out/notes.txt"
: >"$notes"

# The strategies this detsim takes: a one-seed sweep of ping-pong must accept it.
known=""
for s in $STRATEGIES; do
    if "$detsim" sweep ping-pong --count 1 --jobs 1 --quiet --strategy "$s" \
        --set rounds=1 >/dev/null 2>&1; then
        known="$known $s"
    else
        echo "strategy $s: skipped (this detsim does not take --strategy $s)" >>"$notes"
    fi
done

# "rate first" of a results file: the share of seeds whose record reproduces the
# variant's declared failure, and the lowest such seed + 1 ("-" for none).
measure() {
    awk -v seeds="$seeds" '
        /"reproduces":true/ {
            n++
            # a seed is a decimal string ("seed":"17"), or a number in older files
            match($0, /"seed":"?[0-9]+/)
            seed = substr($0, RSTART + 7, RLENGTH - 7)
            sub(/^"/, "", seed)
            seed += 0
            if (first == "" || seed < first) first = seed
        }
        END {
            printf "%.1f%% %s", 100 * n / seeds, first == "" ? "-" : first + 1
        }' "$1"
}

# One row: the scenario, the variant, any --set, then each known strategy's rate
# and first failing seed.
row() {
    scenario=$1 variant=$2
    shift 2
    label="$scenario $variant${*:+ ($*)}"
    line="| \`$label\` |"
    for s in $known; do
        file="$out/$(echo "$scenario-$variant-$s$*" | tr -c 'A-Za-z0-9.=-' '_').jsonl"
        rm -f "$file"
        "$detsim" sweep "$scenario" --variant "$variant" --strategy "$s" "$@" \
            --seeds "0..$((seeds - 1))" --jobs "$jobs" --json "$file" --quiet \
            >/dev/null 2>>"$notes"
        set -- $(measure "$file") "$@"
        line="$line $1 / $2 |"
        shift 2
    done
    echo "$line" >>"$table"
}

{
    printf '| bug (scenario variant) |'
    for s in $known; do printf ' %s |' "$s"; done
    printf '\n|---|'
    for s in $known; do printf -- '---|'; done
    printf '\n'
} >"$table"

# Every variant declared to fail: `detsim list` puts the scenario's name at the
# start of a line and each variant, indented, as NAME OUTCOME DESCRIPTION.
"$detsim" list | awk '/^[^ ]/ { s = $1 } /^    / && $2 != "pass" { print s, $1 }' |
    while read -r scenario variant; do
        row "$scenario" "$variant"
    done
echo "$EXTRA_ROWS" | while read -r extra; do
    [ -n "$extra" ] && row $extra
done

# The small fixed variants, proven (or not) by systematic exploration.
{
    printf '\n| fixed variant | `detsim explore` |\n|---|---|\n'
    if ! "$detsim" explore --help >/dev/null 2>&1; then
        echo "| (all) | skipped: this detsim has no \`explore\` command |"
    else
        # "SCENARIO VARIANT" for each variant declared to pass, from detsim list
        "$detsim" list | awk '/^[^ ]/ { s = $1 } /^    / && $2 == "pass" { print s, $1 }' |
        while read -r scenario variant; do
            steps=$("$detsim" run "$scenario" --variant "$variant" --seed 0 --quiet 2>/dev/null |
                sed -n 's/.* steps=\([0-9]*\) .*/\1/p')
            [ -n "$steps" ] && [ "$steps" -lt 300 ] || continue
            result=$("$detsim" explore "$scenario" --variant "$variant" --delays 2 \
                --budget 20s --quiet 2>&1 | grep -E 'exhausted|budget|failure' | head -1)
            echo "| \`$scenario $variant\` ($steps steps) | ${result:-no summary line} |"
        done
    fi
} >>"$table"

mv "$table" "$out/power.md"
cat "$out/power.md"
echo
echo "each cell: the failure rate over $seeds seeds / the seeds to the first failure"
cat "$notes" | sort -u | grep -v '^$' || true
