#!/usr/bin/env bash
# Compares devstack-doctor with ripgrep (`rg -f` over the same signatures, `rules patterns`) on large
# generated DevStack logs: one core, all cores over 200 files, a gzip file, start-up, and peak RSS.
# Prints a Markdown table of wall and CPU times and ratios (devstack-doctor / rg), and fails (exit 1)
# if a devstack-doctor report misses a failure that the generator planted. See benches/README.md.
#
# Usage: benches/compare-rg.sh
# Environment (defaults in brackets):
#   DD_CORPUS   where corpora and results go, outside the repository [/tmp/dd-corpus]
#   BIG_SIZE    size of the single file and of the 200-file directory [1GiB]
#   DIR_FILES   files in the directory corpus [200]
#   GZ_SIZE     uncompressed size of the gzip corpus [256MiB]
#   SMALL_SIZE  size of the smaller stdin input for peak RSS [100MiB]
#   RUNS        timed runs per command, after one warm-up; the median is reported [3]
#   SEED        generator seed [1]
#   RG          the ripgrep binary [rg from PATH, installed with apt-get if missing]
#   HYPERFINE   hyperfine binary, or empty for a bash timing loop [hyperfine from PATH, if any]
#   JSON_TOOL   python3 or jq, to read the reports [python3 if present, else jq]
# Corpora are reused while the generator, the rules and the parameters are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

DD_CORPUS=${DD_CORPUS:-/tmp/dd-corpus}
BIG_SIZE=${BIG_SIZE:-1GiB}
DIR_FILES=${DIR_FILES:-200}
GZ_SIZE=${GZ_SIZE:-256MiB}
SMALL_SIZE=${SMALL_SIZE:-100MiB}
RUNS=${RUNS:-3}
SEED=${SEED:-1}

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'compare-rg: %s\n' "$*" >&2; exit 2; }

# -- tools ----------------------------------------------------------------------------------------
missing=()
RG=${RG:-rg}
command -v "$RG" >/dev/null || missing+=(ripgrep)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    say "installing ${missing[*]}"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v "$RG" >/dev/null || die "ripgrep ($RG) is not installed and could not be installed"
[ -x /usr/bin/time ] || die "/usr/bin/time is not installed and could not be installed (package: time)"
HYPERFINE=${HYPERFINE-$(command -v hyperfine || true)}
if [ -z "${JSON_TOOL:-}" ]; then
    if command -v python3 >/dev/null; then JSON_TOOL=python3
    elif command -v jq >/dev/null; then JSON_TOOL=jq
    else die "python3 or jq is needed to read the JSON reports"; fi
fi

# -- build ----------------------------------------------------------------------------------------
say "cargo build --release (binary and generator)"
cargo build --release --quiet
cargo build --release --quiet --example gen-corpus
DD=$PWD/target/release/devstack-doctor
GEN=$PWD/target/release/examples/gen-corpus

# -- corpora --------------------------------------------------------------------------------------
mkdir -p "$DD_CORPUS"
DD_CORPUS=$(cd "$DD_CORPUS" && pwd)
case "$DD_CORPUS/" in "$PWD"/*) die "DD_CORPUS must be outside the repository ($DD_CORPUS)";; esac
RESULTS=$DD_CORPUS/results
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
# What the corpora depend on besides their parameters: the generator and the rules it plants.
INPUTS_HASH=$( (cat examples/gen-corpus.rs; find rules -name '*.toml' -type f | LC_ALL=C sort | xargs cat) \
    | sha256sum | cut -c1-16)

# gen NAME ARGS...: generates $DD_CORPUS/NAME unless it is there from the same inputs.
gen() {
    local name=$1 dir=$DD_CORPUS/$1
    shift
    local stamp="$* --seed $SEED inputs=$INPUTS_HASH"
    if [ -f "$DD_CORPUS/.$name.stamp" ] && [ "$(cat "$DD_CORPUS/.$name.stamp")" = "$stamp" ]; then
        say "reusing $dir"
        return
    fi
    say "generating $dir ($*)"
    rm -rf "$dir" "$DD_CORPUS/.$name.stamp"
    "$GEN" --out "$dir" --seed "$SEED" "$@" 2>"$RESULTS/gen-$name.log" \
        || { cat "$RESULTS/gen-$name.log" >&2; die "the generator failed"; }
    echo "$stamp" >"$DD_CORPUS/.$name.stamp"
}
gen big --size "$BIG_SIZE"
gen dir --size "$BIG_SIZE" --files "$DIR_FILES"
gen gz --size "$GZ_SIZE" --gzip
gen small --size "$SMALL_SIZE"
BIG=$DD_CORPUS/big/stack.sh.log
DIR=$DD_CORPUS/dir
GZ=$DD_CORPUS/gz/stack.sh.log.gz
TINY=$DD_CORPUS/tiny/stack.sh.log
mkdir -p "$DD_CORPUS/tiny"
head -n 10 "$BIG" >"$TINY"

PATTERNS=$RESULTS/patterns.txt
# Two rewrites keep rg's matches the same while making the comparison possible at all:
# - rg joins the -f patterns into one regex, where a capture name used by two signatures is an
#   error: the names are dropped (the groups stay);
# - ripgrep 13 (Debian 12) cannot run a Unicode word boundary `\b` in its DFA and falls back to
#   its NFA for the whole set, which scanned tens of KB/s here: `\b` becomes the ASCII one,
#   `(?-u:\b)`, which is the same on ASCII text.
"$DD" rules patterns | sed -E -e 's/\(\?P?<[A-Za-z_][A-Za-z0-9_]*>/(/g' -e 's/\\b/(?-u:\\b)/g' >"$PATTERNS"
rc=0
"$RG" -c -f "$PATTERNS" "$TINY" >/dev/null 2>"$RESULTS/rg-check.err" || rc=$?
[ "$rc" -le 1 ] || { cat "$RESULTS/rg-check.err" >&2; die "rg rejects the patterns of 'rules patterns'"; }

bytes_of() { find "$@" -type f ! -name planted.tsv -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }
BIG_BYTES=$(bytes_of "$BIG")
DIR_BYTES=$(bytes_of "$DIR")
GZ_BYTES=$(zcat "$GZ" | wc -c)

# -- measuring ------------------------------------------------------------------------------------
# measure ID CMD: runs CMD (a shell command line) RUNS times after one warm-up; sets MEDIAN (wall
# seconds, median) and CPU (user + system seconds of CMD and its children; hyperfine's mean, else the
# median). CMD's stdout goes to $RESULTS/ID.out, stderr to ID.err, the exit status of its last run to
# ID.rc. CPU time is the steadier figure on a machine that other work shares.
measure() {
    local id=$1 cmd=$2
    local wrapped="{ $cmd ; } >'$RESULTS/$id.out' 2>'$RESULTS/$id.err'; echo \$? >'$RESULTS/$id.rc'"
    if [ -n "$HYPERFINE" ]; then
        "$HYPERFINE" --style none --warmup 1 --runs "$RUNS" --export-json "$RESULTS/$id.hyperfine.json" \
            "$wrapped" >/dev/null 2>"$RESULTS/$id.hyperfine.err" \
            || { cat "$RESULTS/$id.hyperfine.err" >&2; die "hyperfine failed on: $cmd"; }
        MEDIAN=$(json_get "$RESULTS/$id.hyperfine.json" median)
        CPU=$(awk -v u="$(json_get "$RESULTS/$id.hyperfine.json" user)" \
            -v s="$(json_get "$RESULTS/$id.hyperfine.json" system)" 'BEGIN {printf "%.6f", u + s}')
    else
        local i start end times=() cpus=()
        for i in $(seq 0 "$RUNS"); do
            start=$(date +%s.%N)
            /usr/bin/time -f '%U %S' -o "$RESULTS/$id.cpu" bash -c "$wrapped"
            end=$(date +%s.%N)
            [ "$i" -eq 0 ] && continue
            times+=("$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.6f", e - s}')")
            cpus+=("$(awk 'END {printf "%.6f", $1 + $2}' "$RESULTS/$id.cpu")")
        done
        MEDIAN=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")
        CPU=$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")
    fi
}

json_get() { # FILE KEY: results[0].KEY of a hyperfine export
    if [ "$JSON_TOOL" = python3 ]; then
        python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0][sys.argv[2]])' "$1" "$2"
    else
        jq -r ".results[0].$2" "$1"
    fi
}

# check_rc ID TOOL: devstack-doctor exits 0 (clean), 1 (findings) or 3 (unexplained failure); rg
# exits 0 (matches) or 1 (none). Anything else is a failure of the run.
check_rc() {
    local rc
    rc=$(cat "$RESULTS/$1.rc")
    case "$2:$rc" in
        dd:0 | dd:1 | dd:3 | rg:0 | rg:1) ;;
        *) cat "$RESULTS/$1.err" >&2; die "$1 exited with status $rc" ;;
    esac
}

ROWS=()
mibs() { # BYTES SECONDS
    if [ "$1" -gt 0 ]; then awk -v n="$1" -v t="$2" 'BEGIN {printf "%.0f", n / 1048576 / t}'; else echo "-"; fi
}
# row CASE INPUT_DESC BYTES RG_WALL DD_WALL RG_CPU DD_CPU (BYTES 0: no throughput)
row() {
    local ratio cpu_ratio
    ratio=$(awk -v a="$5" -v b="$4" 'BEGIN {printf "%.2f", a / b}')
    cpu_ratio=$(awk -v a="$7" -v b="$6" 'BEGIN {printf "%.2f", a / b}')
    ROWS+=("| $1 | $2 | $(printf '%.3f' "$4") | $(printf '%.3f' "$5") | **$ratio** | $(printf '%.2f' "$6") | $(printf '%.2f' "$7") | **$cpu_ratio** | $(mibs "$3" "$4") | $(mibs "$3" "$5") |")
}

# check_planted REPORT PLANTED LABEL: notes (in CHECKS, and on stderr) the rule ids planted in
# PLANTED that REPORT lacks or has fewer hits of than it was planted; counts them in MISSED_TOTAL.
MISSED_TOTAL=0
check_planted() {
    local report=$1 planted=$2 label=$3 out
    if [ "$JSON_TOOL" = python3 ]; then
        out=$(python3 - "$report" "$planted" <<'EOF'
import collections, json, sys
report = json.load(open(sys.argv[1]))
want = collections.Counter()
with open(sys.argv[2]) as tsv:
    next(tsv)
    for line in tsv:
        want[line.rstrip("\n").split("\t")[2]] += 1
hits = {f["rule_id"]: f["hits"] for f in report["findings"]}
for rule, count in sorted(want.items()):
    if hits.get(rule, 0) < count:
        print(f"{rule} (planted {count}, hits {hits.get(rule, 0)})")
EOF
        )
    else
        out=$(jq -r --rawfile tsv "$planted" '
            ([.findings[] | {key: .rule_id, value: .hits}] | from_entries) as $hits
            | [$tsv | split("\n")[1:][] | select(length > 0) | split("\t")[2]]
            | group_by(.) | map({rule: .[0], count: length})[]
            | select(($hits[.rule] // 0) < .count)
            | "\(.rule) (planted \(.count), hits \($hits[.rule] // 0))"' "$report")
    fi
    local planted_rules
    planted_rules=$(tail -n +2 "$planted" | cut -f3 | sort -u | wc -l)
    if [ -n "$out" ]; then
        MISSED_TOTAL=$((MISSED_TOTAL + $(printf '%s\n' "$out" | wc -l)))
        printf 'MISSED in %s:\n%s\n' "$label" "$out" >&2
        CHECKS+=("- $label: **missed $(printf '%s\n' "$out" | wc -l)** of $planted_rules planted rules")
    else
        CHECKS+=("- $label: all $planted_rules planted rules found ($(tail -n +2 "$planted" | wc -l) excerpts)")
    fi
}
CHECKS=()

# compare ID CASE INPUT_DESC BYTES RG_CMD DD_CMD [PLANTED LABEL]: times rg and devstack-doctor on the
# same input, adds a table row, and checks devstack-doctor's report against PLANTED if given.
compare() {
    local id=$1 case=$2 desc=$3 bytes=$4 rg_cmd=$5 dd_cmd=$6 planted=${7:-} label=${8:-}
    measure "rg-$id" "$rg_cmd"
    check_rc "rg-$id" rg
    local rg_t=$MEDIAN rg_cpu=$CPU
    measure "dd-$id" "$dd_cmd"
    check_rc "dd-$id" dd
    row "$case" "$desc" "$bytes" "$rg_t" "$MEDIAN" "$rg_cpu" "$CPU"
    if [ -n "$planted" ]; then
        check_planted "$RESULTS/dd-$id.out" "$planted" "$label"
    fi
}

# -- the runs -------------------------------------------------------------------------------------
say "one core, one $BIG_SIZE file"
compare 1core "one core" "1 file, $BIG_SIZE" "$BIG_BYTES" \
    "'$RG' -j1 -c -f '$PATTERNS' '$BIG'" "'$DD' diagnose --threads 1 --format json '$BIG'" \
    "$DD_CORPUS/big/planted.tsv" "one file ($BIG_SIZE, --threads 1)"

say "all cores, $DIR_FILES files"
compare dir "all cores ($(nproc))" "$DIR_FILES files, $BIG_SIZE" "$DIR_BYTES" \
    "'$RG' -c -f '$PATTERNS' -g '!planted.tsv' '$DIR'" "'$DD' diagnose --format json '$DIR'" \
    "$DIR/planted.tsv" "directory ($DIR_FILES files)"

say "gzip, $GZ_SIZE uncompressed"
compare gz "gzip" "$GZ_SIZE (.gz); rg: zcat \\| rg" "$GZ_BYTES" \
    "zcat '$GZ' | '$RG' -c -f '$PATTERNS'" "'$DD' diagnose --format json '$GZ'" \
    "$DD_CORPUS/gz/planted.tsv" "gzip file ($GZ_SIZE)"

say "start-up, 10 lines"
compare tiny "start-up" "10 lines" 0 "'$RG' -c -f '$PATTERNS' '$TINY'" "'$DD' diagnose '$TINY'"

say "peak RSS"
RSS_ROWS=()
# rss ID CMD: runs CMD once under /usr/bin/time in place of the word TIME; prints peak RSS in MiB.
rss() {
    local id=$1 timer="/usr/bin/time -f %M -o '$RESULTS/$1.rss'"
    local cmd=${2//TIME/$timer}
    bash -c "{ $cmd ; } >'$RESULTS/$id.out' 2>'$RESULTS/$id.err'; echo \$? >'$RESULTS/$id.rc'"
    awk '/^[0-9]+$/ {printf "%.1f", $1 / 1024}' "$RESULTS/$id.rss"
}
for input in small big; do
    f=$DD_CORPUS/$input/stack.sh.log
    size=$([ $input = small ] && echo "$SMALL_SIZE" || echo "$BIG_SIZE")
    r=$(rss "rss-rg-$input" "cat '$f' | TIME '$RG' -c -f '$PATTERNS' -")
    check_rc "rss-rg-$input" rg
    d=$(rss "rss-dd-$input" "cat '$f' | TIME '$DD' diagnose --format json -")
    check_rc "rss-dd-$input" dd
    check_planted "$RESULTS/rss-dd-$input.out" "$DD_CORPUS/$input/planted.tsv" "stdin ($size)"
    RSS_ROWS+=("| \`cat $size \\| … -\` (stdin) | $r | $d |")
done
r=$(rss rss-rg-gz "zcat '$GZ' | TIME '$RG' -c -f '$PATTERNS'")
check_rc rss-rg-gz rg
d=$(rss rss-dd-gz "TIME '$DD' diagnose --format json '$GZ'")
check_rc rss-dd-gz dd
RSS_ROWS+=("| gzip $GZ_SIZE (rg: \`zcat \\| rg\`) | $r | $d |")

# -- report ---------------------------------------------------------------------------------------
RG_LINES=$(awk -F: '{s += $NF} END {print s + 0}' "$RESULTS/rg-1core.out")
{
    echo "devstack-doctor vs ripgrep, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | sed -n 1p), $(free -h | awk '/^Mem:/ {print $2}') RAM; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- devstack-doctor $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (with uncommitted changes in src/)'), $(grep -c . "$PATTERNS") signatures; $("$RG" --version | sed -n 1p)"
    echo "- timing: ${HYPERFINE:+hyperfine, }median wall time of $RUNS runs after 1 warm-up, page cache warm; CPU = user + system ($([ -n "$HYPERFINE" ] && echo mean || echo median)); MiB/s from wall time; dd = devstack-doctor"
    echo "- rg matched $RG_LINES lines of the one-file corpus (it also matches xtrace lines, which devstack-doctor skips)"
    echo
    echo "| case | input | rg wall (s) | dd wall (s) | dd/rg wall | rg CPU (s) | dd CPU (s) | dd/rg CPU | rg MiB/s | dd MiB/s |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "| peak RSS | rg (MiB) | devstack-doctor (MiB) |"
    echo "| --- | ---: | ---: |"
    printf '%s\n' "${RSS_ROWS[@]}"
    echo
    echo "Planted failures:"
    printf '%s\n' "${CHECKS[@]}"
} | tee "$RESULTS/table.md"

if [ "$MISSED_TOTAL" -gt 0 ]; then
    echo "compare-rg: devstack-doctor missed $MISSED_TOTAL planted rule(s); see above" >&2
    exit 1
fi
