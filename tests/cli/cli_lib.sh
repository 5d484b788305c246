# Shared by tests/cli/*_test.sh: the binary, a scratch folder and the checks.
# Usage (sourced): . cli_lib.sh PHYSCNN_BINARY CASE
set -u
bin=$1
case_name=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect_exit() {  # expect_exit CODE cmd...
  local want=$1; shift
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  [[ $got -eq $want ]] || { cat "$tmp/out" "$tmp/err"; fail "'$*' exited $got, expected $want"; }
}
