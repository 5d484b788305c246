// The run files `physcnn report` reads as JSON: metrics.json (curves) and eval.json (confusion
// matrix, with per-class precision and recall).
#include "fuzz_common.hpp"
#include "report/run_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace physcnn;
  static fuzz::ScratchFile file("report_json", ".json");
  file.write(data, size);
  fuzz::expect_clean([&] {
    const auto m = report::read_run_metrics(file.path());
    (void)m.metric_names();
  });
  fuzz::expect_clean([&] {
    const auto r = report::read_eval(file.path());
    for (size_t c = 0; c < r.confusion.size(); ++c) {
      (void)r.precision(c);
      (void)r.recall(c);
    }
  });
  return 0;
}
