#!/bin/sh
# readme_check.sh DETSIM [FILE...] — runs every "$ build/detsim ...", "$ cat ..." and
# "$ jq ..." example in the code blocks of each FILE (default README.md; the jq ones
# only when jq is installed: make deps installs it) and checks that the
# lines shown under it appear, in order, in what the command really prints (stdout
# and stderr). A line "..." stands for lines left out. Each FILE's examples run in
# order, in a fresh directory of their own, so an example may read a file an earlier
# one of the same FILE wrote. Prints one line per FILE; exits 1 when any example of
# any FILE does not match.
set -u
detsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
[ $# -eq 0 ] && set -- README.md
status=0
work=
trap '[ -n "$work" ] && rm -rf "$work"' EXIT

# check_file FILE: runs FILE's examples; returns 1 on a mismatch.
check_file() {
    file=$1
    if [ ! -r "$file" ]; then
        echo "readme: $file: cannot be read"
        return 1
    fi
    work=$(mktemp -d)
    # Split FILE into numbered example files: N.cmd holds the command, N.want the
    # lines shown under it.
    awk -v dir="$work" '
        /^```/ { inside = !inside; n_open = 0; next }
        !inside { next }
        /^\$ build\/detsim / || /^\$ cat / || /^\$ jq / {
            n++; cmd = substr($0, 3); sub(/^build\/detsim/, "DETSIM", cmd)
            print cmd > (dir "/" n ".cmd"); printf "" > (dir "/" n ".want"); n_open = 1; next
        }
        /^\$ / { n_open = 0; next }
        n_open { print > (dir "/" n ".want") }
    ' "$file"
    file_status=0
    total=$(ls "$work" | grep -c '\.cmd$')
    for n in $(seq 1 "$total"); do
        cmd_file="$work/$n.cmd"
        command=$(sed "s|^DETSIM|\"$detsim\"|" "$cmd_file")
        if grep -q '^jq ' "$cmd_file" && ! command -v jq > /dev/null; then
            echo "readme: $file: example $n skipped: no jq (make deps installs it)"
            continue
        fi
        (cd "$work" && sh -c "$command") > "$work/$n.got" 2>&1
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
            echo "readme: $file: example $n does not match: $(cat "$cmd_file")"
            sed 's/^/  got: /' "$work/$n.got" | head -20
            file_status=1
        fi
    done
    rm -rf "$work"
    work=
    if [ $file_status -eq 0 ]; then
        if [ "$total" -eq 0 ]; then
            echo "readme: $file: no examples"
        elif [ "$total" -eq 1 ]; then
            echo "readme: $file: its one example matches"
        else
            echo "readme: $file: all $total examples match"
        fi
    fi
    return $file_status
}

for file in "$@"; do
    check_file "$file" || status=1
done
exit $status
