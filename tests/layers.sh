#!/bin/sh
# layers.sh [DIR] — checks that includes point down the layers of the tree, and
# prints the include graph's figures. Exits 1 on any include that breaks a rule.
#
#   cli/        the command line              may include everything below; nothing
#                                             outside cli/ (tests excepted) includes it
#   reports/    libraries over runs           sim/ model/ faults/ util/ (not scenarios/)
#   scenarios/  one file per scenario, lib/   only sim/sys.h and scenarios/lib/
#   sim/        scheduler, run, sys_* layer   model/ faults/ util/; sim/linux/ (the Linux
#                                             backend) is sim's own: only sim/ includes it
#   model/      the kernel-object models      model/, faults/failpoint.h, util/
#   faults/     failpoints and fault plans    faults/ util/
#   util/       leaf utilities                util/ only
#
# tests/ may include anything. Quoted includes are resolved as the compiler does
# (beside the including file, then from the top of the tree); <system> includes are
# not ours and are skipped.
#
# Determinism: in util/ faults/ model/ sim/ scenarios/, only sim/linux/ (real
# processes are not deterministic by nature) calls clock_gettime, gettimeofday,
# time, getpid, getppid, rand, srand or random; comments are not code.
set -u
top=${1:-.}
cd "$top" || exit 2
list=$(mktemp)
trap 'rm -f "$list"' EXIT
find util faults model sim scenarios reports cli -name '*.[ch]' 2>/dev/null | sort > "$list"

# One line per include of ours: "FROM TO".
edges=$(while read -r file; do
    dir=$(dirname "$file")
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file" |
    while read -r name; do
        if [ -f "$dir/$name" ]; then
            target="$dir/$name"
        elif [ -f "$name" ]; then
            target=$name
        else
            echo "$file $name?"
            continue
        fi
        # normalise "sim/../model/x.h" and "./x.h"
        target=$(echo "$target" | sed -e 's#/\./#/#g' -e 's#^\./##' -e 's#[^/]*/\.\./##g')
        echo "$file $target"
    done
done < "$list")

echo "$edges" | awk -v files="$(wc -l < "$list")" '
    function layer(path) {
        if (path ~ /^util\//) return 0
        if (path ~ /^faults\//) return 1
        if (path ~ /^model\//) return 2
        if (path ~ /^sim\//) return 3
        if (path ~ /^(scenarios|reports)\//) return 4
        if (path ~ /^cli\//) return 5
        return -1
    }
    function folder(path) { sub(/\/.*/, "", path); return path }
    function rule(from, to,    lf, lt) {
        lf = layer(from); lt = layer(to)
        if (to ~ /\?$/) return "names a file that does not exist"
        if (lt > lf) return "points up a layer"
        if (from ~ /^model\// && to ~ /^faults\// && to != "faults/failpoint.h")
            return "a model sees only faults/failpoint.h of the faults"
        if (to ~ /^sim\/linux\// && from !~ /^sim\//)
            return "the Linux backend belongs to the sim layer: only sim/ includes sim/linux/"
        if (from ~ /^scenarios\// && to != "sim/sys.h" && to !~ /^scenarios\/lib\//)
            return "a scenario includes only sim/sys.h and scenarios/lib/"
        if (lt == lf && folder(from) != folder(to))
            return "reports/ and scenarios/ do not include each other"
        return ""
    }
    NF == 2 {
        n++
        from[n] = $1; to[n] = $2
        why = rule($1, $2)
        if (why != "") { printf "layers: %s includes %s: %s\n", $1, $2, why; bad++ }
        out[$1] = out[$1] " " $2
        node[$1] = 1; node[$2] = 1
    }
    # Cycles between files: a depth-first search; an edge back to a file on the
    # current path closes a cycle.
    function visit(v,    i, k, w, targets) {
        state[v] = 1
        k = split(out[v], targets, " ")
        for (i = 1; i <= k; i++) {
            w = targets[i]
            if (state[w] == 1) { cycles++; printf "layers: include cycle through %s and %s\n", v, w }
            else if (state[w] == 0) visit(w)
        }
        state[v] = 2
    }
    END {
        for (v in node) if (!state[v]) visit(v)
        printf "layers: %d files, %d includes of ours, %d upward or forbidden, %d include cycles\n",
            files, n, bad, cycles
        exit (bad || cycles) ? 1 : 0
    }'
includes=$?

# Clock, pid and rand() reads outside sim/linux/, comments taken out first.
reads=0
for file in $(grep -E '^(util|faults|model|sim|scenarios)/' "$list" | grep -v '^sim/linux/'); do
    found=$(sed -e 's#/\*.*##' -e 's#^[[:space:]]*\*.*##' "$file" |
        grep -nE '(^|[^A-Za-z0-9_])(clock_gettime|gettimeofday|time|getpid|getppid|rand|srand|random)[[:space:]]*\(' |
        cut -d: -f1)
    for line in $found; do
        echo "layers: $file:$line reads a clock, a pid or rand(): only sim/linux/ may"
        reads=$((reads + 1))
    done
done
echo "layers: $reads clock, pid or rand() reads outside sim/linux/"
[ $includes -eq 0 ] && [ $reads -eq 0 ]
