#include "hornet/data/image_tensor.h"

#include <cstring>
#include <stdexcept>

namespace hornet::data {

torch::Tensor image_to_tensor(const cv::Mat& img) {
  if (img.depth() != CV_8U) throw std::invalid_argument("image_to_tensor: expected an 8-bit image");
  auto out = torch::empty({img.rows, img.cols, img.channels()}, torch::kUInt8);
  const size_t row = static_cast<size_t>(img.cols) * img.channels();
  for (int y = 0; y < img.rows; ++y) std::memcpy(out.data_ptr<uint8_t>() + y * row, img.ptr<uint8_t>(y), row);
  return out;
}

cv::Mat tensor_to_image(const torch::Tensor& t) {
  if (t.scalar_type() != torch::kUInt8 || (t.dim() != 2 && t.dim() != 3) || !t.device().is_cpu()) {
    throw std::invalid_argument("tensor_to_image: expected an HxWxC or HxW uint8 CPU tensor");
  }
  const auto c = t.contiguous();
  const int channels = c.dim() == 3 ? static_cast<int>(c.size(2)) : 1;
  cv::Mat out(static_cast<int>(c.size(0)), static_cast<int>(c.size(1)), CV_8UC(channels));
  std::memcpy(out.data, c.data_ptr<uint8_t>(), static_cast<size_t>(c.numel()));
  return out;
}

void copy_to_chw(const cv::Mat& img, uint8_t* dst) {
  if (img.type() != CV_8UC3) throw std::invalid_argument("copy_to_chw: expected an 8-bit 3-channel image");
  const size_t plane = static_cast<size_t>(img.rows) * img.cols;
  for (int y = 0; y < img.rows; ++y) {
    const uint8_t* s = img.ptr<uint8_t>(y);
    const size_t base = static_cast<size_t>(y) * img.cols;
    for (int x = 0; x < img.cols; ++x) {
      dst[base + x] = s[3 * x];
      dst[plane + base + x] = s[3 * x + 1];
      dst[2 * plane + base + x] = s[3 * x + 2];
    }
  }
}

}  // namespace hornet::data
