// hornet-eval summary: parameter counts and FLOPs of zoo archs or of a config's model.
#include "eval/commands.h"

#include "eval/options.h"
#include "hornet/common/threads.h"
#include "hornet/models/arch.h"
#include "hornet/models/summary.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace hornet_eval {

namespace {
struct SummaryArgs {
  std::string arch, config, flops = "mmpretrain";
  bool per_layer = false;
  std::vector<std::string> overrides;
  int64_t num_classes = 0, image_size = 0;
  int threads = 0;
};
}  // namespace

hornet::cli::Command add_summary(CLI::App& tool) {
  auto* app = tool.add_subcommand(
      "summary",
      "Print parameter counts and FLOPs, and for one model where they are (per stage or per layer)");
  auto a = std::make_shared<SummaryArgs>();
  auto* arch = app->add_option("--arch", a->arch, "Zoo arch or alias (default: every zoo arch)");
  auto* config = app->add_option("--config", a->config, "A recipe (YAML): its model, arch and classes")
                     ->check(CLI::ExistingFile)
                     ->excludes(arch);
  app->add_option("--set", a->overrides, "Override a config value: key.path=value")->needs(config);
  app->add_option("--num-classes", a->num_classes, "Classifier outputs (default: 1000)")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}))
      ->excludes(config);
  app->add_option("--image-size", a->image_size, "Square input size (default: the arch's own, 224 or 384)")
      ->check(CLI::Range(int64_t{0}, int64_t{8192}));
  app->add_option(
         "--flops", a->flops,
         "What FLOPs count: mmpretrain (conv + linear multiply-accumulates, its metafile's figures) or "
         "official (the official calc_flops.py: also the FFTs of the GF filter and the channels-last "
         "layer norms; docs/model.md)")
      ->check(CLI::IsMember({"mmpretrain", "official"}));
  app->add_flag("--per-layer", a->per_layer, "Break one model's cost down per layer instead of per stage");
  hornet::cli::add_threads_option(*app, a->threads);
  return {app, [a] {
            namespace models = hornet::models;
            hornet::common::set_threads(a->threads);
            const auto convention = models::parse_flop_convention(a->flops);
            std::vector<models::ModelSummary> rows;
            if (!a->config.empty()) {
              const auto e = load_experiment(a->config, a->overrides, "");
              rows.push_back(models::summarize(e.model.arch, e.model.num_classes, a->image_size, convention,
                                               a->per_layer));
            } else {
              const auto archs = a->arch.empty() ? models::arch_zoo()
                                                 : std::vector<models::ArchSpec>{models::arch_by_name(a->arch)};
              for (const auto& spec : archs) {
                rows.push_back(models::summarize(spec, a->num_classes ? a->num_classes : 1000, a->image_size,
                                                 convention, a->per_layer));
              }
            }
            std::cout << models::format_summary_table(rows);
            if (rows.size() == 1) std::cout << "\n" << models::format_flop_breakdown(rows.front());
            std::cout << std::flush;
            return 0;
          }};
}

}  // namespace hornet_eval
