#!/usr/bin/env bash
# The lmarc executable alone and under mpirun:
#   (a) archives written alone and by 1..4 ranks are byte-identical;
#   (b) decompress and extract --chunks under mpirun equal the singleton's;
#   (c) a worker killed mid-job fails the job promptly and leaves no archive;
#   (d) a missing input fails with one "lmarc: error:" line naming it.
#
# usage: mpi_cli_test.sh LMARC_BINARY [MPIRUN]
set -euo pipefail

lmarc=$(realpath "${1:?usage: mpi_cli_test.sh LMARC_BINARY [MPIRUN]}")
mpirun_bin=${2:-mpirun}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

work=$(mktemp -d "${TMPDIR:-/tmp}/lmarc_mpi_cli_XXXXXX")
background_pids=()
cleanup() {
  local pid
  for pid in "${background_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND exited $?"' ERR

failures=0
pass() { echo "PASS: $*"; }
failure_details=""  # a file shown with each failure while set
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
  if [[ -n $failure_details ]]; then sed 's/^/    | /' "$failure_details"; fi
}
check() {  # check DESCRIPTION COMMAND...: PASS when COMMAND succeeds
  local description=$1
  shift
  if "$@"; then pass "$description"; else fail "$description"; fi
}

# Runs lmarc alone: without the variables that make a process an MPI rank.
singleton() { env -u OMPI_COMM_WORLD_SIZE -u OMPI_COMM_WORLD_RANK -u PMIX_RANK "$lmarc" "$@"; }
# Runs lmarc as RANKS ranks of one job.
under_mpirun() {
  local ranks=$1
  shift
  "$mpirun_bin" -np "$ranks" --oversubscribe "$lmarc" "$@"
}

# Deterministic text-like data: SIZE bytes from SEED.
text_data() {
  awk -v size="$1" -v seed="$2" 'BEGIN {
    split("archive chunk rank stream the of model file data tree", words, " ")
    state = seed; written = 0
    while (written < size) {
      state = (state * 1103515245 + 12345) % 2147483648
      line = words[int(state / 65536) % 10 + 1] " " state % 997 " " words[state % 10 + 1] "\n"
      if (written + length(line) > size) line = substr(line, 1, size - written)
      printf "%s", line; written += length(line)
    }
  }'
}

# Every entry below DIR: path, type, mode, mtime, size, link count, link target.
tree_listing() {
  (cd "$1" && find . -printf '%P %y %m %T@ %s %n %l\n' | sort)
}

same_tree() {  # same_tree EXPECTED ACTUAL
  diff <(tree_listing "$1") <(tree_listing "$2") && diff -r --no-dereference "$1" "$2"
}

# --- fixture: a few hundred small files and one 2 MB file --------------------
tree=$work/tree
mkdir -p "$tree/small" "$tree/empty_dir"
for i in $(seq 1 300); do echo "small file $i of the mpi cli test" >"$tree/small/f$i.txt"; done
text_data $((2 * 1024 * 1024)) 7 >"$tree/large.txt"
ln -s large.txt "$tree/link_to_large"
ln "$tree/small/f1.txt" "$tree/small/hard_link_to_f1.txt"
chmod 0640 "$tree/small/f2.txt"
touch -d '2020-01-02 03:04:05.123456789' "$tree/small/f3.txt"

compress_options=(--chunk-size 64KiB --codec cm --level 1 -q)

# --- (a) identical archives alone and at 1..4 ranks -------------------------
started=$SECONDS
singleton compress "$tree" -o "$work/singleton.h5" "${compress_options[@]}"
for ranks in 1 2 3 4; do
  under_mpirun "$ranks" compress "$tree" -o "$work/np$ranks.h5" "${compress_options[@]}"
  check "(a) archive of mpirun -np $ranks is byte-identical to the singleton's" \
    cmp "$work/singleton.h5" "$work/np$ranks.h5"
done
echo "     (a) took $((SECONDS - started)) s"

# --- (b) parallel decompress and extract equal the singleton's ----------------
started=$SECONDS
singleton decompress "$work/singleton.h5" -o "$work/out_singleton" -q
under_mpirun 3 decompress "$work/singleton.h5" -o "$work/out_np3" -q
check "(b) singleton decompress restores the input tree" same_tree "$work/tree" "$work/out_singleton/tree"
check "(b) mpirun -np 3 decompress equals the singleton's" same_tree "$work/out_singleton/tree" "$work/out_np3/tree"
chunks=0,2-5,20
singleton extract "$work/singleton.h5" --chunks "$chunks" -o "$work/chunks_singleton.bin" -q
under_mpirun 3 extract "$work/singleton.h5" --chunks "$chunks" -o "$work/chunks_np3.bin" -q
check "(b) mpirun -np 3 extract --chunks $chunks equals the singleton's" \
  cmp "$work/chunks_singleton.bin" "$work/chunks_np3.bin"
check "(b) extract --chunks $chunks is not empty" test -s "$work/chunks_np3.bin"
echo "     (b) took $((SECONDS - started)) s"

# --- (c) a killed worker ends the job -----------------------------------------
# The lmarc process of JOB_PID's mpirun whose MPI rank is not 0, once it exists.
find_worker() {
  local launcher=$1 deadline=$((SECONDS + 10)) pid rank
  while ((SECONDS < deadline)); do
    for pid in $(pgrep -P "$launcher" 2>/dev/null || true); do
      rank=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
      if [[ -n $rank && $rank != 0 ]]; then
        echo "$pid $rank"
        return 0
      fi
    done
    sleep 0.2
  done
  return 1
}

big=$work/big
mkdir -p "$big"
for part in 1 2 3; do text_data $((10 * 1024 * 1024)) "$part" >"$big/part$part.txt"; done
killed_archive=$work/killed.h5
timeout 60 "$mpirun_bin" -np 3 --oversubscribe "$lmarc" compress "$big" -o "$killed_archive" \
  --codec cm -q >"$work/killed.log" 2>&1 &
timeout_pid=$!
background_pids+=("$timeout_pid")
sleep 2
mpirun_pid=$(pgrep -P "$timeout_pid" | head -n 1 || true)
if worker=$(find_worker "${mpirun_pid:-0}"); then
  read -r worker_pid worker_rank <<<"$worker"
  kill_time=$SECONDS
  kill -KILL "$worker_pid"
  exit_code=0
  wait "$timeout_pid" || exit_code=$?
  echo "     (c) killed rank $worker_rank (pid $worker_pid); mpirun exited $exit_code after $((SECONDS - kill_time)) s"
  check "(c) mpirun exits non-zero after a worker is killed" test "$exit_code" -ne 0
  check "(c) mpirun exits within 60 s (not by timeout)" test "$exit_code" -ne 124
  check "(c) no archive under the final name" test ! -e "$killed_archive"
else
  fail "(c) no worker rank of the compress job found (finished too early?): $(cat "$work/killed.log")"
fi

# --- (d) a missing input --------------------------------------------------------
# Runs `lmarc ARGS...` under mpirun -np 2, expecting failure; sets exit_code and
# error_lines (lmarc's "lmarc: error:" lines; other stderr is Open MPI's).
failing_run() {
  exit_code=0
  under_mpirun 2 "$@" 2>"$work/failing.err" || exit_code=$?
  error_lines=$(grep 'lmarc: error:' "$work/failing.err" || true)
}
failure_details=$work/failing.err

missing=$work/does_not_exist
failing_run compress "$tree" "$missing" -o "$work/missing.h5" -q
check "(d) a missing input under mpirun -np 2 exits non-zero" test "$exit_code" -ne 0
check "(d) exactly one 'lmarc: error:' line" test "$(grep -c . <<<"$error_lines")" -eq 1
check "(d) the error line names the missing path" grep -q "^lmarc: error: .*$missing: " <<<"$error_lines"
check "(d) no archive is left" test ! -e "$work/missing.h5"

# Every rank opens the archive: each may report it, but whole lines only.
failing_run decompress "$missing.h5" -o "$work/never_restored" -q
check "(d) a missing archive under mpirun -np 2 exits non-zero" test "$exit_code" -ne 0
check "(d) exactly one 'lmarc: error:' line, naming the archive" \
  test "$(grep -c "^lmarc: error: \(rank 0: \)\?$missing.h5: " <<<"$error_lines")" -eq 1 -a \
  "$(wc -l <<<"$error_lines")" -eq 1

if [[ $(id -u) != 0 ]]; then
  unreadable=$work/unreadable.txt
  echo "no reading this" >"$unreadable"
  chmod 000 "$unreadable"
  failing_run compress "$tree" "$unreadable" -o "$work/unreadable.h5" -q
  check "(d) an unreadable input under mpirun -np 2 exits non-zero" test "$exit_code" -ne 0
  check "(d) one 'lmarc: error:' line names the unreadable input" \
    test "$(grep -c "^lmarc: error: .*$unreadable" <<<"$error_lines")" -eq 1
else
  echo "SKIP: (d) unreadable input (root reads every file)"
fi
failure_details=""

if ((failures > 0)); then
  echo "FAILED: $failures check(s)"
  exit 1
fi
echo "ALL PASSED"
