// hornet-eval forward: one forward pass per arch on random input, as a smoke test of the build.
#include "eval/commands.h"

#include "hornet/common/threads.h"
#include "hornet/models/arch.h"
#include "hornet/models/summary.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace hornet_eval {

namespace {
struct ForwardArgs {
  std::string arch;
  int64_t num_classes = 1000, image_size = 0, batch_size = 1;
  int threads = 0;
};
}  // namespace

hornet::cli::Command add_forward(CLI::App& tool) {
  auto* app =
      tool.add_subcommand("forward", "Run one forward pass on random input and report shape and time");
  auto a = std::make_shared<ForwardArgs>();
  app->add_option("--arch", a->arch, "Zoo arch or alias (default: every zoo arch)");
  app->add_option("--num-classes", a->num_classes, "Classifier outputs")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  app->add_option("--image-size", a->image_size, "Square input size (default: the arch's own, 224 or 384)")
      ->check(CLI::Range(int64_t{0}, int64_t{8192}));
  app->add_option("--batch-size", a->batch_size, "Batch size")->check(CLI::Range(int64_t{1}, int64_t{65536}));
  hornet::cli::add_threads_option(*app, a->threads);
  return {
      app, [a] {
        namespace models = hornet::models;
        hornet::common::set_threads(a->threads);
        const auto archs = a->arch.empty() ? models::arch_zoo()
                                           : std::vector<models::ArchSpec>{models::arch_by_name(a->arch)};
        int failures = 0;
        for (const auto& spec : archs) {
          const auto r = models::run_forward_check(spec, a->batch_size, a->image_size, a->num_classes);
          std::printf("forward %-12s input %-18s -> logits %-12s %7.2f s %s\n", r.arch.c_str(),
                      c10::str(c10::IntArrayRef(r.input_shape)).c_str(),
                      c10::str(c10::IntArrayRef(r.output_shape)).c_str(), r.seconds,
                      r.finite ? "finite" : "NON-FINITE");
          std::fflush(stdout);
          failures += r.finite ? 0 : 1;
        }
        if (failures)
          throw std::runtime_error(std::to_string(failures) + " forward passes produced non-finite logits");
        return 0;
      }};
}

}  // namespace hornet_eval
