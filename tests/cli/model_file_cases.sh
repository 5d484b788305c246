# Model-file checks of the `physcnn` command, sourced by cli_test.sh (case `summary`); uses its
# $bin, $tmp, fail and expect_exit.
model_file_cases() {
  local models
  models="$(dirname "${BASH_SOURCE[0]}")/../../examples/models"
  expect_exit 0 "$bin" summary "$models/tinyvgg.toml"
  grep -qF "Total params: 19,920" "$tmp/out" || fail "tinyvgg.toml has the zoo's 19,920 parameters"
  grep -qF "conv_block_2.2 (Conv2d)" "$tmp/out" || fail "tinyvgg.toml rows have the zoo's paths"
  expect_exit 0 "$bin" summary "$models/unet_small.toml"
  grep -qF "cat1 (Concat)" "$tmp/out" || fail "the U-Net's concat is a summary row"
  expect_exit 0 "$bin" gradcheck "$models/residual_block.toml" --input 16,4,4 --coords 20
  expect_exit 0 "$bin" summary "$models/hex_cnn.toml"
  grep -qF "Total params: 9,954" "$tmp/out" || fail "hex_cnn.toml: 16*7+16 + 32*16*19+32 + 66 params"
  printf 'input = [1, 8, 8]\n[[layer]]\ntype = "conv2d"\nout = 4\nkernal = 3\n' >"$tmp/bad.toml"
  expect_exit 2 "$bin" summary "$tmp/bad.toml"
  grep -qF "bad.toml:5: unknown key 'kernal'" "$tmp/err" || fail "bad model file: no file:line"
  grep -qF "did you mean 'kernel'?" "$tmp/err" || fail "bad model file: no suggestion"
  expect_exit 3 "$bin" summary "$tmp/missing.toml"
  # Hostile files: a clear error with the line, never a huge allocation, a hang or a crash.
  printf 'input = [1, 28, 28]\nlayer = [{ type = "flatten" },\n  { type = "linear", out = 1000000000000 }]\n' \
    >"$tmp/huge.toml"
  expect_exit 2 "$bin" summary "$tmp/huge.toml"
  grep -qF "huge.toml:3" "$tmp/err" && grep -qF "out = 1000000000000 is larger than 65536" "$tmp/err" ||
    fail "out = 10^12 is refused with its line"
  printf 'input = [100000, 100000, 100000]\nlayer = [{ type = "flatten" }]\n' >"$tmp/bigin.toml"
  expect_exit 2 "$bin" summary "$tmp/bigin.toml"
  grep -qF "elements per sample" "$tmp/err" || fail "a huge input is refused"
  printf 'input = [1, 28, 28]\nlayer = [{ type = "conv2d", out = 60000, kernel = 3 },\n  { type = "conv2d", out = 60000, kernel = 3 }]\n' \
    >"$tmp/wide.toml"
  expect_exit 2 "$bin" summary "$tmp/wide.toml"
  grep -qF "out of memory" "$tmp/err" || fail "a model larger than memory is a usage error"
  expect_exit 3 timeout 20 "$bin" summary /dev/zero
  grep -qF "not a regular file" "$tmp/err" || fail "a model file on /dev/zero is refused, not read"
  head -c 17000000 /dev/zero | tr '\0' ' ' >"$tmp/big.toml"
  expect_exit 3 "$bin" summary "$tmp/big.toml"
  grep -qF "limit for a TOML file" "$tmp/err" || fail "a 17 MB model file is refused"
}
