#!/bin/sh
# install.sh BUILD CC — detsim as another project uses it (make installcheck).
#
# Installs BUILD's detsim twice into temporary folders: once staged (DESTDIR, then
# make uninstall, which must leave nothing), once into a prefix of its own. Then
# compiles each installed header alone with -std=c11 -pedantic-errors, builds
# examples/out-of-tree/ with nothing but pkg-config and that prefix, and runs,
# replays and sweeps its scenario, checking that the replay lines name the
# project's program and not detsim; with CATALOG=1 the built-in scenarios are
# there too, without it they are not. Prints what it checks; exit 1 on the first
# failure.
set -eu
build=$1
cc=$2
root=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/detsim-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "installcheck: FAILED: $*"
    exit 1
}
# expect_in FILE TEXT: FILE has a line containing TEXT.
expect_in() {
    grep -qF -- "$2" "$1" || { cat "$1"; fail "no '$2' in $(basename "$1")"; }
}
install_into() {
    make --no-print-directory -C "$root" BUILD="$build" CC="$cc" "$@" > "$tmp/make.log" 2>&1 ||
        { cat "$tmp/make.log"; fail "make $*"; }
}

# Staged: the tree under DESTDIR, and nothing left after make uninstall.
install_into install DESTDIR="$tmp/stage" PREFIX=/opt/detsim
for f in bin/detsim lib/libdetsim.a lib/detsim/detsim-catalog.o lib/pkgconfig/detsim.pc \
    share/man/man1/detsim.1 include/detsim/sim/sys.h include/detsim/cli/detsim.h; do
    [ -f "$tmp/stage/opt/detsim/$f" ] || fail "make install DESTDIR=... did not install $f"
done
expect_in "$tmp/stage/opt/detsim/lib/pkgconfig/detsim.pc" "prefix=/opt/detsim"
install_into uninstall DESTDIR="$tmp/stage" PREFIX=/opt/detsim
left=$(find "$tmp/stage" -type f)
[ -z "$left" ] || fail "make uninstall left $left"
echo "installcheck: make install DESTDIR=... and make uninstall: ok"

prefix=$tmp/prefix
install_into install PREFIX="$prefix"
echo "installcheck: installed into $prefix:"
(cd "$prefix" && find . -type f | sort | sed 's|^\./|  |')

# Each public header alone, as a newcomer's file would include it.
for h in $(cd "$prefix/include/detsim" && find . -name '*.h' | sed 's|^\./||' | sort); do
    printf '#include "%s"\n' "$h" > "$tmp/header.c"
    "$cc" -std=c11 -pedantic-errors -Wall -Wextra -Werror -I"$prefix/include/detsim" \
        -c "$tmp/header.c" -o "$tmp/header.o" || fail "installed header $h does not compile alone"
done
echo "installcheck: every installed header compiles alone with -std=c11 -pedantic-errors"

# The example, with pkg-config only: no path into this tree.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cp -r examples/out-of-tree "$tmp/example"
cd "$tmp/example"
# The example's make is a make of its own, not a sub-make of this tree's.
unset MAKEFLAGS MFLAGS MAKELEVEL
make CC="$cc" > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "examples/out-of-tree: make"; }
echo "installcheck: examples/out-of-tree built with pkg-config only:"
sed 's/^/  /' "$tmp/build.log"

./simtest list > list.txt
expect_in list.txt "lost-update"
! grep -q ktest-channel-exhaustion list.txt || fail "the catalog is linked in without CATALOG=1"

./simtest run lost-update --variant buggy --seed 0 --save-repro lost.repro > run.txt ||
    { cat run.txt; fail "simtest run lost-update --variant buggy --seed 0 did not exit 0"; }
expect_in run.txt "outcome=assert"
expect_in run.txt "replay: simtest replay lost.repro"
echo "installcheck: run:"
sed 's/^/  /' run.txt

./simtest replay lost.repro > replay.txt || { cat replay.txt; fail "simtest replay lost.repro"; }
expect_in replay.txt "replay: outcome assert matches; hash matches"
echo "installcheck: replay:"
sed 's/^/  /' replay.txt

./simtest sweep lost-update --count 100 --variant all --quiet > sweep.txt ||
    { cat sweep.txt; fail "simtest sweep lost-update --variant all"; }
expect_in sweep.txt "reproduces"
expect_in sweep.txt "simtest run lost-update --variant buggy --seed"
! grep -q 'detsim run' sweep.txt || fail "a replay line of simtest names detsim"
echo "installcheck: sweep:"
sed 's/^/  /' sweep.txt

make clean > /dev/null
make CC="$cc" CATALOG=1 > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "make CATALOG=1"; }
./simtest list --names > names.txt
expect_in names.txt "ktest-channel-exhaustion"
expect_in names.txt "lost-update"
echo "installcheck: with CATALOG=1 the program has detsim's scenarios too ($(wc -l < names.txt) scenarios)"
echo "installcheck: ok"
