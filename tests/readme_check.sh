#!/bin/sh
# readme_check.sh DETSIM [README] — runs every "$ build/detsim ..." and "$ cat ..."
# example in the README's code blocks and checks that the lines shown under it
# appear, in order, in what the command really prints (stdout and stderr). A line
# "..." in the README stands for lines left out. Exits 1 on the first mismatch.
set -u
detsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
readme=${2:-README.md}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Split the README into numbered example files: N.cmd holds the command, N.want the
# lines shown under it.
awk -v dir="$work" '
    /^```/ { inside = !inside; n_open = 0; next }
    !inside { next }
    /^\$ build\/detsim / || /^\$ cat / {
        n++; cmd = substr($0, 3); sub(/^build\/detsim/, "DETSIM", cmd)
        print cmd > (dir "/" n ".cmd"); printf "" > (dir "/" n ".want"); n_open = 1; next
    }
    /^\$ / { n_open = 0; next }
    n_open { print > (dir "/" n ".want") }
' "$readme"
status=0
count=0
total=$(ls "$work" | grep -c '\.cmd$')
for n in $(seq 1 "$total"); do
    cmd_file="$work/$n.cmd"
    command=$(sed "s|^DETSIM|\"$detsim\"|" "$cmd_file")
    (cd "$work" && sh -c "$command") > "$work/$n.got" 2>&1
    count=$((count + 1))
    # every wanted line, except "...", must appear in order
    if ! awk -v got="$work/$n.got" '
        BEGIN { while ((getline line < got) > 0) lines[++total] = line; at = 1 }
        /^[ \t]*\.\.\.$/ { next }
        {
            while (at <= total && lines[at] != $0) at++
            if (at > total) { print "  missing: " $0; bad = 1; exit }
            at++
        }
        END { exit bad }' "$work/$n.want"; then
        echo "readme: example $n does not match: $(cat "$cmd_file")"
        sed 's/^/  got: /' "$work/$n.got" | head -20
        status=1
    fi
done
[ $status -eq 0 ] && echo "readme: all $count examples match"
exit $status
