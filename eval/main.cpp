// hornet-eval: summarise, run and (later) validate HorNet models.
//
//   hornet-eval --summary                 parameter/FLOPs table of the whole zoo
//   hornet-eval --summary --arch tiny-gf  one arch
//   hornet-eval --forward [--arch A]      one forward pass per arch on random input
#include "hornet/common/cli.h"
#include "hornet/models/arch.h"
#include "hornet/models/summary.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

namespace models = hornet::models;

int main(int argc, char** argv) {
  CLI::App app{"hornet-eval: summarise and run HorNet models"};
  std::string arch;
  bool summary = false;
  bool forward = false;
  int64_t num_classes = 1000;
  int64_t image_size = 0;
  int64_t batch_size = 1;
  int threads = 0;
  app.add_option("--arch", arch, "Zoo arch or alias (tiny, tiny-gf, small, ..., large-gf384); all when omitted");
  app.add_flag("--summary", summary, "Print parameter counts and FLOPs (conv + linear multiply-accumulates)");
  app.add_flag("--forward", forward, "Run one forward pass on random input and report shape and time");
  app.add_option("--num-classes", num_classes, "Classifier outputs")->check(CLI::PositiveNumber);
  app.add_option("--image-size", image_size, "Square input size (default: the arch's own, 224 or 384)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--batch-size", batch_size, "Batch size of --forward")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "Intra-op threads (0: one per core)")->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  return hornet::common::run_command("hornet-eval", [&]() -> int {
    if (!summary && !forward) {
      std::cerr << app.help() << "\nhornet-eval: nothing to do: give --summary or --forward\n";
      return 2;
    }
    hornet::common::set_threads(threads);
    std::vector<models::ArchSpec> archs;
    if (arch.empty()) {
      archs = models::arch_zoo();
    } else {
      archs.push_back(models::arch_by_name(arch));
    }
    if (summary) {
      std::vector<models::ModelSummary> rows;
      for (const auto& a : archs) rows.push_back(models::summarize(a, num_classes, image_size));
      std::cout << models::format_summary_table(rows) << std::flush;
    }
    if (forward) {
      int failures = 0;
      for (const auto& a : archs) {
        const auto r = models::run_forward_check(a, batch_size, image_size, num_classes);
        std::printf("forward %-12s input %-18s -> logits %-12s %7.2f s %s\n", r.arch.c_str(),
                    c10::str(c10::IntArrayRef(r.input_shape)).c_str(),
                    c10::str(c10::IntArrayRef(r.output_shape)).c_str(), r.seconds,
                    r.finite ? "finite" : "NON-FINITE");
        std::fflush(stdout);
        failures += r.finite ? 0 : 1;
      }
      if (failures) throw std::runtime_error(std::to_string(failures) + " forward passes produced non-finite logits");
    }
    return 0;
  });
}
