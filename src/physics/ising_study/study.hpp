// The phase-transition study (Carrasquilla & Melko, Nature Physics 13, 431 (2017)): simulate the
// 2D Ising model at several lattice sizes, train a CNN to tell ordered from disordered
// configurations away from the critical region, find where its mean output P(ordered) crosses
// 1/2 at each L, and extrapolate T*(L) = T_c + a L^(-1/nu) (nu = 1) to compare with Onsager.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/container.hpp"
#include "physics/ising/analysis.hpp"
#include "physics/ising/generator.hpp"
#include "physics/ising_study/error_model.hpp"
#include "train/loop.hpp"

namespace physcnn::physics::ising {

struct StudyOptions {
  std::vector<int64_t> sizes{16, 32, 64};
  TemperatureGrid grid{
      .start = 1.0, .stop = 3.5, .count = 26, .extra_near_tc = 12, .extra_width = 0.3};
  // Held-out temperatures every band_step from band_start to band_stop, added to the grid where
  // they lie inside the excluded band: they only measure P(ordered)(T) where the crossings are
  // (band_step 0: none). Not added to an explicit `temperatures` list.
  double band_start = 2.1, band_stop = 2.45, band_step = 0.025;
  std::vector<double> temperatures;  // explicit list; replaces the grid when not empty
  int64_t configs_per_temperature = 240;
  // Length of the Monte Carlo production run at least (GeneratorOptions::min_measurement_sweeps):
  // the configurations need only 4 spacings of 2 tau; the rest only sharpens the per-temperature
  // means of the Monte Carlo plot, and the generator's 1024 made it half of the Monte Carlo time.
  int64_t measurement_sweeps = 256;
  double test_fraction = 0.5;         // per temperature, held out to measure P(ordered)(T)
  double validation_fraction = 0.15;  // of the training part, to watch overtraining
  double exclude_low = 2.0, exclude_high = 2.5;  // critical band left out of training
  int epochs = 3;    // the validation loss settles after 2 (bench/NOTES.md, 2026-12-08)
  int ensemble = 4;  // networks per lattice size; their spread enters the error of T*(L)
  int64_t batch_size = 64;
  double learning_rate = 2e-3;
  int64_t bootstrap_replicates = 200;  // of the error model (error_model.hpp)
  bool augment = true;  // D4 symmetries, periodic translations and the global spin flip
  uint64_t seed = 1;
  // Run folder (empty: write nothing): metrics.json, p_ordered.csv, per size L<L>/ with the
  // model, the configurations and checkpoints/net<k>/last.safetensors of every network.
  std::string out_dir;
  // Continue the study in out_dir: networks with a checkpoint resume from it (a finished one is
  // just loaded), the others train from the start; the result equals an uninterrupted run's.
  // The run's study.json must match these options (UsageError otherwise).
  bool resume = false;
  // Polled after every training step; true stops the study with train::Interrupted.
  std::function<bool()> should_stop;
  bool quiet = false;
  // Called after each lattice size with the results so far (metrics.json is already updated).
  std::function<void(const struct StudyResult&)> on_size_done;
  // The lattice (triangular: triangular_study_options() in triangular.hpp, a hexagonal CNN).
  LatticeType lattice = LatticeType::square;
  // Crossing and collapse windows are multiplied by this (the triangular protocol's scale).
  double temperature_scale = 1.0;
  // Where the generator switches labels and starts (0: the exact T_c); outside the excluded
  // band, where the networks train, any value inside the band gives the same labels.
  double critical_estimate = 0.0;

  // The Monte Carlo of size L (one place, so that every rank of an MPI job asks for the same).
  GeneratorOptions generator_options(int64_t L, const std::vector<double>& temps) const {
    return {.temperatures = temps,
            .lattice_size = L,
            .configs_per_temperature = configs_per_temperature,
            .seed = seed * 1000003 + uint64_t(L),
            .min_measurement_sweeps = measurement_sweeps,
            .lattice = lattice,
            .critical_temperature = critical_estimate};
  }
};

// "--quick": two small sizes and fewer configurations, for tests and CI (seconds, not minutes).
StudyOptions quick_study_options();

struct SizeResult {
  int64_t size = 0;
  std::vector<double> temperatures, p_ordered, p_error;  // mean network output per temperature
  CrossingResult crossing;                               // of the ensemble's mean output
  std::vector<double> member_crossings;                  // T*(L) of each network alone
  std::vector<train::EpochRecord> history;               // of the first network
  double test_accuracy = 0;  // on held-out configurations outside the critical band
  std::vector<TemperatureSummary> monte_carlo;
  SizePredictions predictions;  // every network on every held-out configuration
  double generate_seconds = 0, train_seconds = 0;
};

struct StudyResult {
  std::vector<SizeResult> sizes;
  ExtrapolationResult extrapolation;  // T_c, its error and the slope, from `finite_size`
  FiniteSizeResult finite_size;       // bootstrap over networks and configurations; nu
  double deviation_percent = 0, deviation_sigma = 0;
  double seconds = 0, analysis_seconds = 0;
  LatticeType lattice = LatticeType::square;  // the deviation is from this lattice's exact T_c
};

StudyResult run_study(const StudyOptions& options);

// The study's network: the W3 Ising CNN (circular padding, global average pooling) with a hidden
// layer after the pooling. Without it the logits are an average of local features (patches of
// 8x8 spins), which cannot express the global order parameter |m|; with it the network can, so
// its crossing T*(L) follows finite-size scaling towards T_c.
std::shared_ptr<nn::Sequential> ising_phase_cnn(uint64_t seed);
// "T_c = 2.27x ± 0.00y  (Onsager 2.269185, deviation z.zz%, z.z σ)"
std::string format_result_line(const StudyResult& result);

}  // namespace physcnn::physics::ising
