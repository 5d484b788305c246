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
  printf 'input = [1, 8, 8]\n[[layer]]\ntype = "conv2d"\nout = 4\nkernal = 3\n' >"$tmp/bad.toml"
  expect_exit 2 "$bin" summary "$tmp/bad.toml"
  grep -qF "bad.toml:5: unknown key 'kernal'" "$tmp/err" || fail "bad model file: no file:line"
  grep -qF "did you mean 'kernel'?" "$tmp/err" || fail "bad model file: no suggestion"
  expect_exit 3 "$bin" summary "$tmp/missing.toml"
}
