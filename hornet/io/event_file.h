// TensorBoard event files, written without TensorFlow: TFRecord framing (a
// length and the data, each guarded by a masked CRC-32C) around Event protocol
// buffers, encoded here field by field for the few fields a run needs
// (tensorflow/core/util/event.proto, summary.proto).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace hornet::io {

/// CRC-32C (Castagnoli) of `size` bytes, continuing from `crc`.
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);

class EventFileWriter {
 public:
  /// Creates `dir` and a new file in it named as TensorBoard looks for them
  /// (`events.out.tfevents.<seconds>.<host>.<pid>`). The file opens with its
  /// version and a session start at `start_step`, from which TensorBoard drops
  /// what an earlier process logged at that step or later (a resumed run).
  /// Throws std::runtime_error naming the path when it cannot be written.
  EventFileWriter(const std::string& dir, int64_t start_step);
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  /// A scalar (stored as float32, as TensorBoard's simple_value is).
  void add_scalar(const std::string& tag, double value, int64_t step);
  /// An encoded image (PNG or JPEG bytes) of the given size; channels 1 or 3.
  void add_image(const std::string& tag, const std::string& encoded, int height, int width, int channels,
                 int64_t step);
  const std::string& path() const { return path_; }

 private:
  /// Writes one Event: wall time and step, then `fields` (encoded), flushed.
  void write_event(int64_t step, const std::string& fields);

  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace hornet::io
