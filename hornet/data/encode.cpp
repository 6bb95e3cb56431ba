// JPEG through TurboJPEG; PNG written by hand (signature, IHDR, one zlib IDAT
// with filter 0 on every row, IEND; CRC-32s from zlib), per the PNG spec.
#include "hornet/data/encode.h"

#include <opencv2/core.hpp>
#include <turbojpeg.h>
#include <zlib.h>

#include <memory>
#include <stdexcept>

namespace hornet::data {

std::string encode_jpeg(const cv::Mat& img, int quality) {
  if (img.empty() || (img.type() != CV_8UC3 && img.type() != CV_8UC1)) {
    throw std::invalid_argument("encode_jpeg: expected a non-empty 8-bit RGB or gray image");
  }
  const cv::Mat c = img.isContinuous() ? img : img.clone();
  std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitCompress(), tjDestroy);
  if (!tj) throw std::runtime_error("TurboJPEG: cannot create a compressor");
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const bool gray = c.channels() == 1;
  if (tjCompress2(tj.get(), c.data, c.cols, 0, c.rows, gray ? TJPF_GRAY : TJPF_RGB, &out, &size,
                  gray ? TJSAMP_GRAY : TJSAMP_420, quality, 0) != 0) {
    const std::string msg = tjGetErrorStr2(tj.get());
    tjFree(out);
    throw std::runtime_error("JPEG encoding failed: " + msg);
  }
  std::string bytes(reinterpret_cast<char*>(out), size);
  tjFree(out);
  return bytes;
}

namespace {
void put_u32(std::string& s, uint32_t v) {
  for (int k = 3; k >= 0; --k) s.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
}
void chunk(std::string& png, const char* type, const std::string& data) {
  put_u32(png, static_cast<uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  png += body;
  put_u32(png, static_cast<uint32_t>(::crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                                             static_cast<uInt>(body.size()))));
}
}  // namespace

std::string encode_png(const cv::Mat& img) {
  if (img.empty() || (img.type() != CV_8UC3 && img.type() != CV_8UC1)) {
    throw std::invalid_argument("encode_png: expected a non-empty 8-bit RGB or gray image");
  }
  std::string raw;
  const size_t row = static_cast<size_t>(img.cols) * img.channels();
  raw.reserve((row + 1) * img.rows);
  for (int y = 0; y < img.rows; ++y) {
    raw.push_back('\0');  // filter: none
    raw.append(reinterpret_cast<const char*>(img.ptr<uint8_t>(y)), row);
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), 6) != Z_OK) {
    throw std::runtime_error("PNG encoding failed (zlib)");
  }
  packed.resize(packed_size);
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put_u32(ihdr, static_cast<uint32_t>(img.cols));
  put_u32(ihdr, static_cast<uint32_t>(img.rows));
  ihdr += std::string("\x08", 1);                                   // bit depth
  ihdr += std::string(img.channels() == 3 ? "\x02" : "\x00", 1);    // RGB or gray
  ihdr += std::string("\x00\x00\x00", 3);                           // deflate, adaptive filter, no interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", packed);
  chunk(png, "IEND", "");
  return png;
}

cv::Mat make_grid(const std::vector<cv::Mat>& images, int columns, int pad) {
  if (images.empty() || columns < 1) throw std::invalid_argument("make_grid: no images");
  const int h = images[0].rows, w = images[0].cols;
  const int rows = (static_cast<int>(images.size()) + columns - 1) / columns;
  cv::Mat grid(rows * (h + pad) + pad, columns * (w + pad) + pad, CV_8UC3, cv::Scalar(255, 255, 255));
  for (size_t k = 0; k < images.size(); ++k) {
    if (images[k].size() != images[0].size() || images[k].type() != CV_8UC3) {
      throw std::invalid_argument("make_grid: images differ in size or type");
    }
    const int r = static_cast<int>(k) / columns, c = static_cast<int>(k) % columns;
    images[k].copyTo(grid(cv::Rect(pad + c * (w + pad), pad + r * (h + pad), w, h)));
  }
  return grid;
}

}  // namespace hornet::data
