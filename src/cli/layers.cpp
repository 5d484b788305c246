// `physcnn layers [TYPE]`: the layer types a model file can name and their keys, printed from the
// layer registry (the same text as docs/model_files.md's reference).
#include <cstdio>

#include "cli/commands.hpp"
#include "io/model_file.hpp"
#include "io/toml_util.hpp"
#include "nn/registry.hpp"

namespace physcnn::cli {

Run add_layers(CLI::App& app) {
  auto* cmd = app.add_subcommand("layers", "List the layer types of model files and their keys");
  auto type = std::make_shared<std::string>();
  cmd->add_option("type", *type, "one layer type (conv2d, batchnorm2d, ...); default: all");
  return [type] {
    if (type->empty()) {
      std::printf("%s", nn::layer_key_reference().c_str());
      return 0;
    }
    if (!nn::find_layer_spec(*type))
      throw UsageError("unknown layer type '" + *type + "'" +
                       io::did_you_mean(*type, io::model_file_layer_types()));
    // The reference's section for this type: from its heading to the next one.
    const std::string all = nn::layer_key_reference();
    const size_t begin = all.find("#### `" + *type + "`");
    const size_t end = all.find("#### ", begin + 1);
    std::printf("%s", all.substr(begin, end == std::string::npos ? end : end - begin).c_str());
    return 0;
  };
}

}  // namespace physcnn::cli
