// Reading `physcnn nqs` study files.
#include <algorithm>
#include <cmath>

#include "io/toml_util.hpp"
#include "physics/nqs/cnn.hpp"
#include "physics/nqs/study.hpp"

namespace physcnn::physics::nqs {

namespace {

const toml::table* sub(const toml::table& t, const std::string& name, const std::string& file) {
  const toml::node* n = t.get(name);
  if (!n) return nullptr;
  PHYSCNN_CHECK_ARG(n->is_table(), io::toml_where(*n), ": [", name, "] must be a table, found ",
                    io::toml_type_name(*n), " (", file, ")");
  return n->as_table();
}

void positive(int64_t v, const char* key, const std::string& where) {
  PHYSCNN_CHECK_ARG(v >= 1, where, ": '", key, "' must be at least 1, found ", v);
}

}  // namespace

NqsSpec read_nqs_spec(const std::string& path) {
  const toml::table top = io::parse_toml_file(path);
  NqsSpec s;
  s.file = path;
  io::check_keys(top,
                 {"lattice", "hamiltonian", "ansatz", "sampler", "optimizer", "iterations", "seed",
                  "eval_samples", "checkpoint_every", "reference_energy"},
                 "the top level of " + path);
  const std::string where = path;
  if (auto v = io::get_int(top, "iterations", "the top level")) s.iterations = int(*v);
  if (auto v = io::get_int(top, "seed", "the top level")) s.seed = uint64_t(*v);
  if (auto v = io::get_int(top, "eval_samples", "the top level")) s.eval_samples = int(*v);
  if (auto v = io::get_int(top, "checkpoint_every", "the top level")) s.checkpoint_every = int(*v);
  if (auto v = io::get_double(top, "reference_energy", "the top level")) s.reference = *v;
  positive(s.iterations, "iterations", where);
  positive(s.eval_samples, "eval_samples", where);
  positive(s.checkpoint_every, "checkpoint_every", where);
  if (const toml::table* t = sub(top, "lattice", path)) {
    io::check_keys(*t, {"kind", "L", "Ly"}, "[lattice]");
    if (auto v = io::get_string(*t, "kind", "[lattice]")) s.lattice = *v;
    if (auto v = io::get_int(*t, "L", "[lattice]")) s.lx = int(*v);
    if (auto v = io::get_int(*t, "Ly", "[lattice]")) s.ly = int(*v);
  }
  if (const toml::table* t = sub(top, "hamiltonian", path)) {
    io::check_keys(*t, {"model", "J1", "J2", "h"}, "[hamiltonian]");
    if (auto v = io::get_string(*t, "model", "[hamiltonian]")) s.couplings.model = *v;
    if (auto v = io::get_double(*t, "J1", "[hamiltonian]")) s.couplings.j1 = *v;
    if (auto v = io::get_double(*t, "J2", "[hamiltonian]")) s.couplings.j2 = *v;
    if (auto v = io::get_double(*t, "h", "[hamiltonian]")) s.couplings.h = *v;
  }
  if (const toml::table* t = sub(top, "ansatz", path)) {
    io::check_keys(*t,
                   {"type", "alpha", "marshall", "symmetric", "init_scale", "channels", "kernel",
                    "activation"},
                   "[ansatz]");
    if (auto v = io::get_string(*t, "type", "[ansatz]")) s.ansatz = *v;
    if (auto v = io::get_int(*t, "alpha", "[ansatz]")) s.alpha = int(*v);
    if (auto v = io::get_bool(*t, "marshall", "[ansatz]")) s.marshall = *v;
    if (auto v = io::get_bool(*t, "symmetric", "[ansatz]")) s.symmetric = *v;
    if (auto v = io::get_double(*t, "init_scale", "[ansatz]")) s.init_scale = *v;
    if (auto v = io::get_int(*t, "kernel", "[ansatz]")) s.kernel = int(*v);
    if (auto v = io::get_string(*t, "activation", "[ansatz]")) s.activation = *v;
    if (const toml::node* c = t->get("channels")) {
      const toml::array* a = c->as_array();
      PHYSCNN_CHECK_ARG(a && !a->empty(), io::toml_where(*c),
                        ": [ansatz] 'channels' must be a non-empty array of integers, found ",
                        io::toml_type_name(*c), " (", path, ")");
      s.channels.clear();
      for (const toml::node& e : *a) {
        const auto v = e.value<int64_t>();
        PHYSCNN_CHECK_ARG(v && e.is_integer() && *v >= 1 && *v <= 4096, io::toml_where(e),
                          ": [ansatz] 'channels' entries must be integers in [1, 4096] (", path,
                          ")");
        s.channels.push_back(int(*v));
      }
    }
    PHYSCNN_CHECK_ARG(s.ansatz == "rbm" || s.ansatz == "cnn", path, ": [ansatz] type '", s.ansatz,
                      "' is not available; the ansatz types are: rbm, cnn");
    PHYSCNN_CHECK_ARG(s.kernel >= 1 && s.kernel % 2 == 1, path,
                      ": [ansatz] 'kernel' must be odd and positive (circular 'same' padding), "
                      "found ",
                      s.kernel);
    const auto& acts = Cnn::activations();
    PHYSCNN_CHECK_ARG(std::find(acts.begin(), acts.end(), s.activation) != acts.end(), path,
                      ": [ansatz] activation '", s.activation,
                      "' is unknown; the activations are: tanh, elu, gelu, relu");
  }
  if (const toml::table* t = sub(top, "sampler", path)) {
    io::check_keys(*t, {"chains", "samples", "burn_in", "exact"}, "[sampler]");
    if (auto v = io::get_int(*t, "chains", "[sampler]")) s.chains = int(*v);
    if (auto v = io::get_int(*t, "samples", "[sampler]")) s.samples = int(*v);
    if (auto v = io::get_int(*t, "burn_in", "[sampler]")) s.burn_in = int(*v);
    if (auto v = io::get_bool(*t, "exact", "[sampler]")) s.exact = *v;
    positive(s.chains, "chains", "[sampler] of " + path);
    positive(s.samples, "samples", "[sampler] of " + path);
    PHYSCNN_CHECK_ARG(s.burn_in >= 0, path, ": [sampler] 'burn_in' must be >= 0, found ",
                      s.burn_in);
  }
  if (const toml::table* t = sub(top, "optimizer", path)) {
    io::check_keys(*t,
                   {"type", "learning_rate", "final_learning_rate", "diag_shift", "solver", "beta1",
                    "beta2", "eps"},
                   "[optimizer]");
    if (auto v = io::get_string(*t, "type", "[optimizer]")) s.optimizer = *v;
    if (auto v = io::get_double(*t, "learning_rate", "[optimizer]")) s.learning_rate = *v;
    if (auto v = io::get_double(*t, "final_learning_rate", "[optimizer]"))
      s.final_learning_rate = *v;
    if (auto v = io::get_double(*t, "diag_shift", "[optimizer]")) s.diag_shift = *v;
    if (auto v = io::get_string(*t, "solver", "[optimizer]")) s.solver = *v;
    if (auto v = io::get_double(*t, "beta1", "[optimizer]")) s.beta1 = *v;
    if (auto v = io::get_double(*t, "beta2", "[optimizer]")) s.beta2 = *v;
    if (auto v = io::get_double(*t, "eps", "[optimizer]")) s.eps = *v;
    PHYSCNN_CHECK_ARG(s.optimizer == "sr" || s.optimizer == "adam", path, ": [optimizer] type '",
                      s.optimizer, "' is not available; the optimizers are: sr, adam");
    PHYSCNN_CHECK_ARG(s.solver == "auto" || s.solver == "direct" || s.solver == "cg", path,
                      ": [optimizer] solver '", s.solver,
                      "' is not available; the solvers are: auto, direct, cg");
    PHYSCNN_CHECK_ARG(std::isnan(s.final_learning_rate) ||
                          (s.final_learning_rate > 0 && std::isfinite(s.final_learning_rate)),
                      path, ": [optimizer] 'final_learning_rate' must be positive, found ",
                      s.final_learning_rate);
    PHYSCNN_CHECK_ARG(s.beta1 >= 0 && s.beta1 < 1 && s.beta2 >= 0 && s.beta2 < 1, path,
                      ": [optimizer] 'beta1' and 'beta2' must be in [0, 1), found ", s.beta1,
                      " and ", s.beta2);
    PHYSCNN_CHECK_ARG(s.eps > 0 && std::isfinite(s.eps), path,
                      ": [optimizer] 'eps' must be positive, found ", s.eps);
    PHYSCNN_CHECK_ARG(s.learning_rate > 0 && std::isfinite(s.learning_rate), path,
                      ": [optimizer] 'learning_rate' must be positive, found ", s.learning_rate);
    PHYSCNN_CHECK_ARG(s.diag_shift >= 0 && std::isfinite(s.diag_shift), path,
                      ": [optimizer] 'diag_shift' must be >= 0, found ", s.diag_shift);
  }
  return s;
}

}  // namespace physcnn::physics::nqs
