// Datasets, samplers and the threaded loader: layouts and their errors, epoch
// orders, determinism across worker counts, resuming inside an epoch, and
// broken files.
#include "hornet/data/device_prefetch.h"
#include "hornet/data/loader.h"
#include "hornet/data/toy_dataset.h"
#include "hornet/io/file_util.h"
#include "hornet/io/json.h"
#include "hornet/io/tar.h"
#include "hornet/io/zip.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

using namespace hornet;
using namespace hornet::data;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// One toy dataset for the whole test binary run: 4 classes x 12 train images.
const std::string& toy_root() {
  static const std::string root = [] {
    const auto dir = test::temp_dir("toy");
    ToyDatasetOptions o;
    o.classes = 4;
    o.train_per_class = 12;
    o.val_per_class = 3;
    o.size = 48;
    make_toy_dataset(dir, o);
    return dir;
  }();
  return root;
}

std::vector<Batch> epoch_batches(DataLoader& loader, int64_t epoch, int64_t start = 0) {
  std::vector<Batch> out;
  loader.start_epoch(epoch, start);
  while (auto b = loader.next()) {
    Batch copy = *b;
    copy.images = b->images.clone();
    copy.labels = b->labels.clone();
    copy.indices = b->indices.clone();
    out.push_back(copy);
  }
  return out;
}

TrainPipelineOptions small_train() {
  TrainPipelineOptions o;
  o.size = 32;
  return o;
}

}  // namespace

TEST_CASE("dataset: ImageFolder layout, sorted classes", "[data][dataset]") {
  const auto d = Dataset::image_folder(toy_root() + "/train");
  CHECK(d.size() == 48);
  CHECK(d.classes() == std::vector<std::string>{"circle", "horizontal_stripes", "square", "triangle"});
  CHECK(d.samples().front().label == 0);
  CHECK(d.samples().back().label == 3);
  CHECK_THAT(d.samples()[12].path, Contains("horizontal_stripes"));
  const auto opened = Dataset::open(toy_root(), "val");
  CHECK(opened.size() == 12);
}

TEST_CASE("dataset: annotation files, class names, and their errors", "[data][dataset][errors]") {
  const auto dir = test::temp_dir("ann");
  fs::create_directories(dir + "/imgs");
  for (int k = 0; k < 3; ++k) io::write_file_atomic(dir + "/imgs/" + std::to_string(k) + ".jpg", "x");
  auto write = [&](const std::string& text) { std::ofstream(dir + "/ann.txt") << text; };
  write("0.jpg 2\n1.jpg 0\n\n2.jpg 1\n");
  const auto d = Dataset::annotation_file(dir + "/ann.txt", dir + "/imgs");
  CHECK(d.size() == 3);
  CHECK(d.num_classes() == 3);
  CHECK(d.samples()[0].label == 2);
  CHECK(d.samples()[0].path == dir + "/imgs/0.jpg");
  std::ofstream(dir + "/names.txt") << "cat\ndog\n bird \n";
  auto named = d;
  named.set_class_names(dir + "/names.txt");
  CHECK(named.classes()[2] == "bird");

  write("0.jpg 1\n0.jpg 2\n");
  CHECK_THROWS_WITH(Dataset::annotation_file(dir + "/ann.txt", dir + "/imgs"),
                    Contains("ann.txt:2") && Contains("duplicate entry '0.jpg'"));
  write("0.jpg -1\n");
  CHECK_THROWS_WITH(Dataset::annotation_file(dir + "/ann.txt", dir + "/imgs"), Contains("negative label"));
  write("0.jpg 5\n");
  CHECK_THROWS_WITH(Dataset::annotation_file(dir + "/ann.txt", dir + "/imgs", 3),
                    Contains("label 5 is out of range for 3 classes"));
  write("0.jpg two\n");
  CHECK_THROWS_WITH(Dataset::annotation_file(dir + "/ann.txt", dir + "/imgs"), Contains("is not an integer"));
  write("just-a-path\n");
  CHECK_THROWS_WITH(Dataset::annotation_file(dir + "/ann.txt", dir + "/imgs"), Contains("expected '<path> <label>'"));
  CHECK_THROWS_WITH(Dataset::image_folder(dir + "/nope"), Contains("does not exist"));
  fs::create_directories(dir + "/folder/empty_class");
  CHECK_THROWS_WITH(Dataset::image_folder(dir + "/folder"), Contains("class folder 'empty_class' holds no image files"));
  CHECK_THROWS_WITH(Dataset::open(dir + "/missing"), Contains("no such dataset"));
  std::ofstream(dir + "/few.txt") << "a\n";
  CHECK_THROWS_WITH(named.set_class_names(dir + "/few.txt"), Contains("do not cover label 2"));
}

TEST_CASE("sampler: sequential, shuffled per epoch, distributed with padding", "[data][sampler]") {
  SamplerOptions seq;
  seq.shuffle = false;
  CHECK(Sampler(5, seq).indices(3) == std::vector<int64_t>{0, 1, 2, 3, 4});

  SamplerOptions sh;
  sh.seed = 42;
  const Sampler shuffled(100, sh);
  const auto e0 = shuffled.indices(0), e1 = shuffled.indices(1);
  CHECK(e0 == shuffled.indices(0));
  CHECK(e0 != e1);
  CHECK(std::set<int64_t>(e0.begin(), e0.end()).size() == 100);

  // 10 samples over 4 ranks: 3 each, the order padded with its first 2 entries.
  std::vector<int64_t> all;
  for (int r = 0; r < 4; ++r) {
    SamplerOptions d = sh;
    d.rank = r;
    d.world_size = 4;
    const Sampler s(10, d);
    CHECK(s.size() == 3);
    const auto idx = s.indices(5);
    all.insert(all.end(), idx.begin(), idx.end());
  }
  CHECK(all.size() == 12);
  CHECK(std::set<int64_t>(all.begin(), all.end()).size() == 10);
  SamplerOptions dl = sh;
  dl.world_size = 4;
  dl.drop_last = true;
  CHECK(Sampler(10, dl).size() == 2);
  SamplerOptions bad;
  bad.rank = 4;
  bad.world_size = 4;
  CHECK_THROWS_WITH(Sampler(10, bad), Contains("outside world size"));
}

TEST_CASE("loader: the same (seed, epoch) gives identical batches with 1, 2 and 4 workers", "[data][loader]") {
  const auto dataset = Dataset::image_folder(toy_root() + "/train");
  SamplerOptions so;
  so.seed = 3;
  std::vector<std::vector<Batch>> runs;
  for (int workers : {1, 2, 4}) {
    LoaderOptions lo;
    lo.batch_size = 10;
    lo.workers = workers;
    lo.prefetch = workers == 4 ? 3 : 1;
    lo.seed = 11;
    DataLoader loader(dataset, make_train_transform(small_train()), so, lo);
    CHECK(loader.batches_per_epoch() == 5);
    runs.push_back(epoch_batches(loader, 2));
  }
  for (size_t r = 1; r < runs.size(); ++r) {
    REQUIRE(runs[r].size() == runs[0].size());
    for (size_t b = 0; b < runs[0].size(); ++b) {
      CHECK(torch::equal(runs[r][b].images, runs[0][b].images));
      CHECK(torch::equal(runs[r][b].labels, runs[0][b].labels));
    }
  }
  CHECK(runs[0].back().images.size(0) == 8);  // 48 = 4 x 10 + 8
  // Another epoch: another order and other augmentations.
  LoaderOptions lo;
  lo.batch_size = 10;
  lo.workers = 2;
  lo.seed = 11;
  DataLoader loader(dataset, make_train_transform(small_train()), so, lo);
  const auto other = epoch_batches(loader, 3);
  CHECK_FALSE(torch::equal(other[0].indices, runs[0][0].indices));
  // Labels follow the images' folders.
  for (const auto& b : runs[0]) {
    for (int64_t k = 0; k < b.indices.size(0); ++k) {
      CHECK(b.labels[k].item<int64_t>() == dataset.samples()[static_cast<size_t>(b.indices[k].item<int64_t>())].label);
    }
  }
}

TEST_CASE("loader: resuming inside an epoch continues with the same batches", "[data][loader]") {
  const auto dataset = Dataset::image_folder(toy_root() + "/train");
  LoaderOptions lo;
  lo.batch_size = 7;
  lo.workers = 3;
  lo.drop_last = true;
  lo.seed = 5;
  DataLoader loader(dataset, make_train_transform(small_train()), {}, lo);
  const auto full = epoch_batches(loader, 1);
  CHECK(full.size() == 6);  // 48 / 7, last partial batch dropped
  // Stop after two batches of another epoch (work still in flight), then resume.
  loader.start_epoch(4);
  (void)loader.next();
  (void)loader.next();
  const auto resumed = epoch_batches(loader, 1, 3);
  REQUIRE(resumed.size() == 3);
  for (size_t k = 0; k < 3; ++k) {
    CHECK(resumed[k].index == full[k + 3].index);
    CHECK(torch::equal(resumed[k].images, full[k + 3].images));
  }
  // A refused start leaves the running epoch untouched.
  loader.start_epoch(1);
  REQUIRE(loader.next()->index == 0);
  CHECK_THROWS_WITH(loader.start_epoch(1, 7), Contains("outside the epoch's 6 batches"));
  const auto after = loader.next();
  REQUIRE(after);
  CHECK(after->index == 1);
  CHECK(torch::equal(after->images, full[1].images));
}

TEST_CASE("device prefetcher: the loader's batches, in order, on the device, also after a resume",
          "[data][loader][device]") {
  const auto dataset = Dataset::image_folder(toy_root() + "/train");
  LoaderOptions lo;
  lo.batch_size = 7;
  lo.workers = 2;
  lo.drop_last = true;
  lo.seed = 5;
  DataLoader reference(dataset, make_train_transform(small_train()), {}, lo);
  const auto full = epoch_batches(reference, 1);
  DataLoader loader(dataset, make_train_transform(small_train()), {}, lo);
  DevicePrefetcher batches(loader, torch::kCPU);
  for (int64_t start : {0, 4}) {
    batches.start_epoch(1, start);
    size_t k = static_cast<size_t>(start);
    while (auto b = batches.next()) {
      REQUIRE(k < full.size());
      CHECK(b->index == full[k].index);
      CHECK(b->images.device().is_cpu());
      CHECK(torch::equal(b->images, full[k].images));
      CHECK(torch::equal(b->labels, full[k].labels));
      CHECK(torch::equal(b->indices, full[k].indices));
      ++k;
    }
    CHECK(k == full.size());
  }
}

TEST_CASE("loader: broken files are skipped and counted, and a run of them stops the loader", "[data][loader][errors]") {
  const auto dir = test::temp_dir("broken");
  const std::string broken = test::fixture_dir() + "/images/broken/";
  fs::create_directories(dir + "/a");
  fs::create_directories(dir + "/b");
  const auto good = Dataset::image_folder(toy_root() + "/val");
  for (int k = 0; k < 6; ++k) fs::copy_file(good.samples()[static_cast<size_t>(k)].path, dir + "/a/good" + std::to_string(k) + ".jpg");
  fs::copy_file(test::fixture_dir() + "/images/coffee_png.JPEG", dir + "/a/png_named.JPEG");
  fs::copy_file(test::fixture_dir() + "/images/chelsea_cmyk.jpg", dir + "/a/cmyk.jpg");
  fs::copy_file(test::fixture_dir() + "/images/camera_gray_333x257.jpg", dir + "/b/gray.jpg");
  for (const char* f : {"zero_bytes.jpg", "garbage.jpg", "truncated_header.jpg", "truncated_half.jpg"}) {
    fs::copy_file(broken + f, dir + "/b/" + f);
  }
  LoaderOptions lo;
  lo.batch_size = 4;
  lo.workers = 2;
  EvalPipelineOptions eo;
  eo.crop = 32;
  eo.resize = 36;
  SamplerOptions seq;
  seq.shuffle = false;
  DataLoader loader(Dataset::image_folder(dir), make_eval_transform(eo), seq, lo);
  loader.start_epoch(0);
  int64_t delivered = 0;
  while (auto b = loader.next()) delivered += b->images.size(0);
  const auto stats = loader.stats();
  CHECK(stats.skipped == 3);   // zero bytes, garbage, truncated header
  CHECK(stats.warnings == 1);  // the half JPEG decodes with a warning
  CHECK(delivered == 10);      // 6 good + PNG + CMYK + gray + half
  CHECK(stats.loaded == 10);

  // Batches of two: the last holds only the zero-byte file and is skipped, not returned empty.
  LoaderOptions pairs = lo;
  pairs.batch_size = 2;
  DataLoader paired(Dataset::image_folder(dir), make_eval_transform(eo), seq, pairs);
  paired.start_epoch(0);
  int64_t images = 0, batches = 0;
  while (auto b = paired.next()) {
    CHECK(b->images.size(0) > 0);
    images += b->images.size(0);
    ++batches;
  }
  CHECK(images == 10);
  CHECK(batches == 6);  // of 7: the zero-byte file's batch is skipped

  LoaderOptions strict = lo;
  strict.max_consecutive_failures = 2;
  DataLoader failing(Dataset::image_folder(dir), make_eval_transform(eo), seq, strict);
  failing.start_epoch(0);
  CHECK_THROWS_WITH(
      [&] {
        while (failing.next()) {
        }
      }(),
      Contains("2 consecutive images could not be loaded"));
}

TEST_CASE("loader: each rank draws its own augmentations, and a rerun draws them again", "[data][loader][distributed]") {
  // One file and 2 ranks: the sampler pads the epoch, so both ranks read sample 0 at position 0.
  const auto dir = test::temp_dir("single_image");
  fs::path source;
  for (const auto& e : fs::recursive_directory_iterator(toy_root() + "/train")) {
    if (e.is_regular_file()) {
      source = e.path();
      break;
    }
  }
  REQUIRE(!source.empty());
  fs::create_directories(dir + "/a");
  fs::copy_file(source, dir + "/a/0.jpg");
  LoaderOptions lo;
  lo.batch_size = 1;
  lo.workers = 1;
  lo.seed = 5;
  const auto draw = [&](int rank) {
    SamplerOptions so;
    so.shuffle = false;
    so.rank = rank;
    so.world_size = 2;
    so.seed = 5;
    DataLoader loader(Dataset::image_folder(dir), make_train_transform(small_train()), so, lo);
    auto batches = epoch_batches(loader, 0);
    REQUIRE(batches.size() == 1);
    return batches[0];
  };
  const auto rank0 = draw(0), rank1 = draw(1);
  CHECK(rank0.indices.item<int64_t>() == 0);
  CHECK(rank1.indices.item<int64_t>() == 0);
  CHECK_FALSE(torch::equal(rank0.images, rank1.images));  // the same sample, augmented differently
  CHECK(torch::equal(draw(0).images, rank0.images));
  CHECK(torch::equal(draw(1).images, rank1.images));
}

TEST_CASE("tar: what TarWriter writes lists back, and a damaged header is refused with its offset",
          "[data][shards]") {
  const auto dir = test::temp_dir("tar");
  const std::string payload(700, 'x');
  io::TarWriter writer(dir + "/a.tar");
  writer.add("000001.jpg", payload);
  writer.add("000001.cls", "3");
  writer.add(std::string(100, 'n'), "");
  writer.finish();
  const auto members = io::list_tar(dir + "/a.tar");
  REQUIRE(members.size() == 3);
  CHECK(members[0].name == "000001.jpg");
  CHECK(members[0].offset == 512);
  CHECK(members[0].size == 700);
  CHECK(members[1].offset == 512 + 1024 + 512);  // the payload padded to 1024
  CHECK(members[2].name == std::string(100, 'n'));
  CHECK(io::RandomAccessFile(dir + "/a.tar").read(members[1].offset, 1) == "3");
  CHECK_THROWS_WITH(io::TarWriter(dir + "/b.tar").add(std::string(101, 'n'), ""), Contains("1 to 100 bytes"));
  // One flipped byte in the second header breaks its checksum.
  std::string bytes = io::read_file(dir + "/a.tar");
  bytes[512 + 1024 + 3] ^= 1;
  io::write_file_atomic(dir + "/c.tar", bytes);
  CHECK_THROWS_WITH(io::list_tar(dir + "/c.tar"), Contains("at byte 1536: header checksum mismatch"));
  bytes = io::read_file(dir + "/a.tar");
  io::write_file_atomic(dir + "/d.tar", bytes.substr(0, 512 + 300));
  CHECK_THROWS_WITH(io::list_tar(dir + "/d.tar"), Contains("runs past the end"));
}

TEST_CASE("tar: Python tarfile's GNU, pax and ustar archives list as tarfile lists them", "[data][shards]") {
  // Long names through GNU records, pax paths and ustar prefixes; directories and links skipped;
  // pax_size.tar's first member has its size only in a pax record (its ustar field is zero).
  for (const std::string name : {"gnu", "pax", "ustar", "pax_size"}) {
    INFO(name);
    const auto want = io::parse_json(io::read_file(test::fixture_dir() + "/tar/" + name + ".json"));
    const auto got = io::list_tar(test::fixture_dir() + "/tar/" + name + ".tar");
    REQUIRE(got.size() == want.items.size());
    for (size_t k = 0; k < got.size(); ++k) {
      CHECK(got[k].name == want.items[k].find("name")->text);
      CHECK(got[k].offset == io::json_uint64(*want.items[k].find("offset"), "offset"));
      CHECK(got[k].size == io::json_uint64(*want.items[k].find("size"), "size"));
    }
  }
}

TEST_CASE("tar: an old GNU header's time fields are not a name prefix, and a signed checksum is accepted",
          "[data][shards]") {
  const auto dir = test::temp_dir("tar_gnu");
  io::TarWriter writer(dir + "/a.tar");
  writer.add("a.jpg", "abc");
  writer.finish();
  std::string bytes = io::read_file(dir + "/a.tar");
  const auto reseal = [&](bool signed_sum) {
    std::memset(&bytes[148], ' ', 8);
    long sum = 0;
    for (size_t k = 0; k < 512; ++k) {
      sum += signed_sum ? static_cast<signed char>(bytes[k]) : static_cast<unsigned char>(bytes[k]);
    }
    char field[32];
    std::snprintf(field, sizeof field, "%06lo", static_cast<unsigned long>(sum));
    std::memcpy(&bytes[148], field, 7);  // six digits and the NUL; the space stays
  };
  // GNU's magic "ustar  \0" keeps atime and ctime at 345 (tar --incremental fills them).
  std::memcpy(&bytes[257], "ustar  ", 8);
  std::memcpy(&bytes[345], "14536000000", 12);
  reseal(false);
  io::write_file_atomic(dir + "/gnu.tar", bytes);
  auto members = io::list_tar(dir + "/gnu.tar");
  REQUIRE(members.size() == 1);
  CHECK(members[0].name == "a.jpg");
  // A byte above 127 in the name: old writers summed signed chars.
  bytes[0] = static_cast<char>(0xe9);
  reseal(true);
  io::write_file_atomic(dir + "/signed.tar", bytes);
  members = io::list_tar(dir + "/signed.tar");
  REQUIRE(members.size() == 1);
  CHECK(members[0].name == "\xe9.jpg");
}

TEST_CASE("shards: the folder's samples, labels and class names, and a sample without a label is an error",
          "[data][shards]") {
  const auto dir = test::temp_dir("shards");
  const auto folder = Dataset::image_folder(toy_root() + "/train");
  // Two shards, samples in folder order, as hornet-data shard --keep-order writes them.
  for (int s = 0; s < 2; ++s) {
    io::TarWriter tar(dir + "/shard-00000" + std::to_string(s) + ".tar");
    for (size_t k = s * 30; k < std::min<size_t>(folder.size(), (s + 1) * 30); ++k) {
      const auto key = std::to_string(100000 + k);
      tar.add(key + ".jpg", io::read_file(folder.samples()[k].path));
      tar.add(key + ".cls", std::to_string(folder.samples()[k].label));
    }
    tar.finish();
  }
  io::write_file_atomic(dir + "/classes.txt", "a\nb\nc\nd\n");
  REQUIRE(Dataset::is_shards(dir));
  const auto shards = Dataset::open(dir);
  CHECK(shards.shard_sizes() == std::vector<int64_t>{30, 18});
  CHECK(shards.classes() == std::vector<std::string>{"a", "b", "c", "d"});
  REQUIRE(shards.size() == folder.size());
  for (size_t k = 0; k < folder.size(); ++k) {
    CHECK(shards.samples()[k].label == folder.samples()[k].label);
    CHECK(read_sample_bytes(shards.samples()[k]) == io::read_file(folder.samples()[k].path));
  }
  const auto bad = test::temp_dir("shards_bad");
  io::TarWriter tar(bad + "/x.tar");
  tar.add("k1.jpg", io::read_file(folder.samples()[0].path));
  tar.finish();
  CHECK_THROWS_WITH(Dataset::open(bad), Contains("x.tar: sample 'k1' has no .cls label"));
}

TEST_CASE("sampler: shards are read in order through a shuffle buffer, split over ranks and streams",
          "[data][sampler][shards]") {
  // Five shards of 10, 10, 10, 10, 7 samples.
  SamplerOptions o;
  o.shard_sizes = {10, 10, 10, 10, 7};
  o.shuffle = false;
  o.streams = 1;
  const auto plain = Sampler(47, o).indices(0);
  std::vector<int64_t> all(47);
  std::iota(all.begin(), all.end(), 0);
  CHECK(plain == all);
  o.shuffle = true;
  o.shuffle_buffer = 4;
  o.seed = 9;
  const auto a = Sampler(47, o).indices(3);
  CHECK(a == Sampler(47, o).indices(3));
  CHECK(a != Sampler(47, o).indices(4));
  CHECK(std::set<int64_t>(a.begin(), a.end()).size() == 47);
  // Two ranks: whole shards each, no sample on both, each padded to ceil(47 / 2) = 24.
  o.world_size = 2;
  o.streams = 2;
  std::set<int64_t> seen;
  for (int rank = 0; rank < 2; ++rank) {
    o.rank = rank;
    const auto mine = Sampler(47, o).indices(0);
    CHECK(mine.size() == 24);
    for (int64_t index : std::set<int64_t>(mine.begin(), mine.end())) {
      CHECK(seen.insert(index).second);
    }
  }
  // Whatever the epoch's order, dealing to the lighter rank gives 27 and 20 samples (the
  // most even split of whole shards): rank 0 cuts 3, rank 1 repeats 4.
  CHECK(seen.size() == 24 + 20);
  o.world_size = 6;
  o.rank = 0;
  CHECK_THROWS_WITH(Sampler(47, o), Contains("5 non-empty shards for 6 ranks"));
}

TEST_CASE("sampler: uneven and empty shards are dealt so that ranks stay even, in every epoch",
          "[data][sampler][shards]") {
  SamplerOptions o;
  o.world_size = 2;
  o.seed = 4;
  // Round-robin would give one rank 10 + 5 in some epochs and the other 10, or 20 and 5.
  // The lighter-rank rule gives 15 and 10 in every epoch: ceil(25 / 2) = 13 each, 13 + 10
  // distinct. The empty shard is skipped, never a rank's only one.
  o.shard_sizes = {10, 0, 10, 5};
  for (int64_t epoch = 0; epoch < 12; ++epoch) {
    INFO("epoch " << epoch);
    std::set<int64_t> seen;
    for (int rank = 0; rank < 2; ++rank) {
      o.rank = rank;
      const auto mine = Sampler(25, o).indices(epoch);
      CHECK(mine.size() == 13);
      seen.insert(mine.begin(), mine.end());
    }
    CHECK(seen.size() == 23);
  }
  o.shard_sizes = {25, 0};
  CHECK_THROWS_WITH(Sampler(25, o), Contains("1 non-empty shards for 2 ranks"));
}

TEST_CASE("loader: shards resume inside an epoch with the same batches", "[data][loader][shards]") {
  const auto dir = test::temp_dir("shards_resume");
  const auto folder = Dataset::image_folder(toy_root() + "/train");
  for (int s = 0; s < 4; ++s) {
    io::TarWriter tar(dir + "/s" + std::to_string(s) + ".tar");
    for (size_t k = static_cast<size_t>(s) * 12; k < static_cast<size_t>(s + 1) * 12; ++k) {
      tar.add(std::to_string(k) + ".jpg", io::read_file(folder.samples()[k].path));
      tar.add(std::to_string(k) + ".cls", std::to_string(folder.samples()[k].label));
    }
    tar.finish();
  }
  LoaderOptions lo;
  lo.batch_size = 5;
  lo.workers = 3;
  lo.seed = 2;
  SamplerOptions so;
  so.shuffle_buffer = 6;
  so.streams = 2;
  DataLoader loader(Dataset::open(dir), make_train_transform(small_train()), so, lo);
  const auto full = epoch_batches(loader, 2);
  REQUIRE(full.size() == 10);
  const auto resumed = epoch_batches(loader, 2, 6);
  REQUIRE(resumed.size() == 4);
  for (size_t k = 0; k < 4; ++k) {
    CHECK(torch::equal(resumed[k].indices, full[k + 6].indices));
    CHECK(torch::equal(resumed[k].images, full[k + 6].images));
  }
  // Other worker counts give the same batches.
  lo.workers = 1;
  DataLoader one(Dataset::open(dir), make_train_transform(small_train()), so, lo);
  const auto single = epoch_batches(one, 2);
  for (size_t k = 0; k < full.size(); ++k) CHECK(torch::equal(single[k].images, full[k].images));
}
