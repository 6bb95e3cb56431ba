#include "hornet/data/png_decode.h"

#include "hornet/data/decode.h"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hornet::data {

namespace {

// Plain data only: libpng reports errors by longjmp, which must not cross
// anything with a destructor.
struct PngReader {
  const unsigned char* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  char error[200] = {};
  char warning[200] = {};
  png_bytep* rows = nullptr;
};

void on_error(png_structp png, png_const_charp message) {
  auto* r = static_cast<PngReader*>(png_get_error_ptr(png));
  std::snprintf(r->error, sizeof r->error, "%s", message);
  png_longjmp(png, 1);
}

void on_warning(png_structp png, png_const_charp message) {
  auto* r = static_cast<PngReader*>(png_get_error_ptr(png));
  if (r->warning[0] == '\0') std::snprintf(r->warning, sizeof r->warning, "%s", message);
}

void on_read(png_structp png, png_bytep out, png_size_t n) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  if (r->size - r->pos < n) png_error(png, "the file ends early (truncated)");
  std::memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

// Decodes into `out` (allocated here once the size is known); false with
// r.error set on failure. No object with a destructor lives in this frame.
bool read_png(PngReader& r, cv::Mat& out) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
  if (!png) {
    std::snprintf(r.error, sizeof r.error, "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    std::free(r.rows);
    r.rows = nullptr;
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    if (r.error[0] == '\0') std::snprintf(r.error, sizeof r.error, "out of memory");
    return false;
  }
  png_set_read_fn(png, &r, on_read);
  png_read_info(png, info);
  png_uint_32 width = 0, height = 0;
  int depth = 0, color = 0;
  png_get_IHDR(png, info, &width, &height, &depth, &color, nullptr, nullptr, nullptr);
  if (static_cast<uint64_t>(width) * height > (uint64_t{1} << 30)) png_error(png, "implausible image size");
  // OpenCV's transformations for an 8-bit, 3-channel result, in its order.
  if (depth == 16) png_set_strip_16(png);
  png_set_strip_alpha(png);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((color & PNG_COLOR_MASK_COLOR) == 0 && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if ((color & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != static_cast<size_t>(width) * 3) png_error(png, "unexpected row layout");
  out.create(static_cast<int>(height), static_cast<int>(width), CV_8UC3);
  r.rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * height));
  if (!r.rows) png_error(png, "out of memory");
  for (png_uint_32 y = 0; y < height; ++y) r.rows[y] = out.ptr<png_byte>(static_cast<int>(y));
  png_read_image(png, r.rows);
  png_read_end(png, nullptr);
  std::free(r.rows);
  r.rows = nullptr;
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

}  // namespace

PngImage decode_png(std::string_view bytes) {
  PngReader reader;
  reader.data = reinterpret_cast<const unsigned char*>(bytes.data());
  reader.size = bytes.size();
  PngImage image;
  if (!read_png(reader, image.rgb)) throw DecodeError(std::string("PNG: ") + reader.error);
  image.warning = reader.warning;
  return image;
}

}  // namespace hornet::data
