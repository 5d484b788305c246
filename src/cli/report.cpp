// `physcnn report RUN`: the run's pictures and index.html (report/report.hpp), with the model
// built from the run folder (or --model) and its weights from RUN/model.safetensors.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/inspect_input.hpp"
#include "report/nqs_report.hpp"
#include "report/report.hpp"

namespace physcnn::cli {

Run add_report(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "report", "Build RUN/index.html: curves, confusion matrix, filters, feature maps, saliency");
  struct Args {
    std::string run, model;
    int64_t samples = 4, channels = 16;
    int refresh = 10;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("run", a->run, "the run folder (written by `physcnn train`)")->required();
  cmd->add_option("--model", a->model,
                  "zoo name or model .toml (default: the run's experiment.toml / model.toml)");
  cmd->add_option("--samples", a->samples, "inputs shown with saliency and CAM")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--channels", a->channels, "feature-map channels per layer")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--refresh", a->refresh, "seconds between reloads while RUN/RUNNING exists")
      ->check(CLI::Range(1, 3600));
  return [a] {
    // An nqs run folder has no network model file: its page needs none.
    const ResolvedModel m =
        a->model.empty() ? (report::is_nqs_run(a->run) ? ResolvedModel{} : run_folder_model(a->run))
                         : resolve_model(a->model);
    const auto r = report::write_run_report(a->run, {.model = m.model,
                                                     .max_samples = a->samples,
                                                     .max_channels = a->channels,
                                                     .refresh_seconds = a->refresh});
    std::printf("wrote %s (%zu pictures in %s/report)%s\n", r.index.c_str(), r.pictures.size(),
                a->run.c_str(), r.running ? "; run in progress, the page reloads itself" : "");
    for (const auto& n : r.notes) std::printf("  note: %s\n", n.c_str());
    return 0;
  };
}

}  // namespace physcnn::cli
