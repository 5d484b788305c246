# CLI cases of `physcnn report`, `show` and `probe` (sourced by cli_test.sh; uses its bin, tmp,
# fail and expect_exit).
inspect_cases() {
  # probe: table and JSON; the W3 network is exactly shift-invariant at multiples of stride 2
  expect_exit 0 "$bin" probe ising_cnn --count 4 --json "$tmp/probe.json"
  grep -q "shift periodic (2,0): prediction agreement 100.0%" "$tmp/out" || fail "probe table"
  grep -q "prediction invariant (output change < 1e-05) under: shift periodic (2,0), shift periodic (0,2)$" \
    "$tmp/out" || fail "W3 is invariant to exactly the even periodic shifts"
  grep -q '"name": "rot90 x1"' "$tmp/probe.json" || fail "probe JSON lists the transforms"
  expect_exit 2 "$bin" probe no_such_model
  # probe: the p4m network of examples/symmetry is invariant to the square's symmetries
  local symmetry
  symmetry="$(dirname "${BASH_SOURCE[0]}")/../../examples/symmetry"
  expect_exit 0 "$bin" probe "$symmetry/p4m_ising.toml" --count 2
  grep -q "prediction invariant (output change < 1e-05) under: shift periodic (2,0), shift periodic (0,2), rot90 x1, rot90 x2, flip horizontal, flip vertical$" \
    "$tmp/out" || fail "p4m network invariant under turns and mirrors"
  # show: single pictures from a model and inputs
  expect_exit 0 "$bin" generate ising --L 8 --temps 1.5,3.0 --per-temp 4 --out "$tmp/i.npz"
  expect_exit 0 "$bin" show filters ising_cnn --out "$tmp/filters.png"
  [[ -s "$tmp/filters.png" ]] || fail "show filters wrote no picture"
  expect_exit 0 "$bin" show features ising_cnn --input "$tmp/i.npz" --array spins --index 5 \
    --layer features.2 --out "$tmp/maps.svg"
  [[ -s "$tmp/maps.svg" ]] || fail "show features wrote no picture"
  expect_exit 0 "$bin" show cam ising_cnn --input "$tmp/i.npz" --array spins --count 4 --out "$tmp/cam.png"
  expect_exit 2 "$bin" show saliency lenet5 --input "$tmp/i.npz" --array spins --out "$tmp/s.png"
  expect_exit 2 "$bin" show features ising_cnn --input "$tmp/i.npz" --array spins --index 8 \
    --layer features.2 --out "$tmp/m.png"
  grep -q "index 8 is outside the 8 samples" "$tmp/err" || fail "index out of range message"
  expect_exit 2 "$bin" show filters ising_cnn --out "$tmp/f.jpg"
  # report: missing and corrupt run folders
  expect_exit 3 "$bin" report "$tmp/no_such_run"
  mkdir -p "$tmp/run"
  expect_exit 0 "$bin" report "$tmp/run"
  [[ -s "$tmp/run/index.html" ]] || fail "report of an empty run folder writes index.html"
  echo '{"epochs": [' >"$tmp/run/metrics.json"
  expect_exit 3 "$bin" report "$tmp/run"
  grep -q "metrics.json is not valid JSON" "$tmp/err" || fail "corrupt metrics.json named"
  expect_exit 3 "$bin" show confusion "$tmp/run" --out "$tmp/c.png"
}
