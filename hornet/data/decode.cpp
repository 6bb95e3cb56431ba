// TurboJPEG decoding, EXIF orientation, CMYK conversion; OpenCV imgcodecs for
// the other formats.
#include "hornet/data/decode.h"

#include "hornet/build_config.h"
#include "hornet/data/png_decode.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#ifdef HORNET_WITH_IMGCODECS
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#endif
#include <turbojpeg.h>

#include <cstring>
#include <memory>

namespace hornet::data {

namespace {

bool starts(std::string_view b, const char* sig, size_t n, size_t at = 0) {
  return b.size() >= at + n && std::memcmp(b.data() + at, sig, n) == 0;
}

// One TurboJPEG handle per thread: handles are not thread-safe, and creating
// one per image would cost more than small decodes.
tjhandle decompressor() {
  struct Handle {
    tjhandle h = tjInitDecompress();
    ~Handle() {
      if (h) tjDestroy(h);
    }
  };
  thread_local Handle handle;
  if (!handle.h) throw DecodeError("TurboJPEG: cannot create a decompressor");
  return handle.h;
}

uint32_t read_u(const uint8_t* p, int n, bool little) {
  uint32_t v = 0;
  for (int k = 0; k < n; ++k) v |= static_cast<uint32_t>(p[k]) << (8 * (little ? k : n - 1 - k));
  return v;
}

// EXIF orientation from the JPEG's APP1 segment; 1 when absent or unreadable.
int exif_orientation(std::string_view bytes) {
  const auto* d = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  size_t pos = 2;  // after SOI
  while (pos + 4 <= n && d[pos] == 0xff) {
    const uint8_t marker = d[pos + 1];
    if (marker == 0xda || marker == 0xd9) break;  // start of scan / end of image
    const size_t len = (static_cast<size_t>(d[pos + 2]) << 8) | d[pos + 3];
    if (len < 2 || pos + 2 + len > n) break;
    if (marker == 0xe1 && len >= 16 && std::memcmp(d + pos + 4, "Exif\0\0", 6) == 0) {
      const uint8_t* tiff = d + pos + 10;
      const size_t tiff_len = len - 8;
      const bool little = tiff[0] == 'I' && tiff[1] == 'I';
      if (!little && !(tiff[0] == 'M' && tiff[1] == 'M')) return 1;
      const uint32_t ifd = read_u(tiff + 4, 4, little);
      if (ifd + 2 > tiff_len) return 1;
      const uint32_t count = read_u(tiff + ifd, 2, little);
      for (uint32_t e = 0; e < count; ++e) {
        const size_t entry = ifd + 2 + 12 * static_cast<size_t>(e);
        if (entry + 12 > tiff_len) return 1;
        if (read_u(tiff + entry, 2, little) == 0x0112) {
          const uint32_t value = read_u(tiff + entry + 8, 2, little);
          return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
        }
      }
      return 1;
    }
    pos += 2 + len;
  }
  return 1;
}

// OpenCV's icvCvt_CMYK2BGR_8u_C4C3R, writing RGB.
cv::Mat cmyk_to_rgb(const cv::Mat& cmyk) {
  cv::Mat rgb(cmyk.rows, cmyk.cols, CV_8UC3);
  for (int y = 0; y < cmyk.rows; ++y) {
    const uint8_t* s = cmyk.ptr<uint8_t>(y);
    uint8_t* o = rgb.ptr<uint8_t>(y);
    for (int x = 0; x < cmyk.cols; ++x, s += 4, o += 3) {
      const int c = s[0], m = s[1], ye = s[2], k = s[3];
      o[0] = static_cast<uint8_t>(k - ((255 - c) * k >> 8));
      o[1] = static_cast<uint8_t>(k - ((255 - m) * k >> 8));
      o[2] = static_cast<uint8_t>(k - ((255 - ye) * k >> 8));
    }
  }
  return rgb;
}

DecodedImage decode_jpeg(std::string_view bytes, int scale_denom) {
  tjhandle tj = decompressor();
  const auto* buf = reinterpret_cast<const unsigned char*>(bytes.data());
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj, buf, static_cast<unsigned long>(bytes.size()), &width, &height, &subsamp,
                          &colorspace) != 0) {
    throw DecodeError(std::string("JPEG header: ") + tjGetErrorStr2(tj));
  }
  if (width <= 0 || height <= 0 || static_cast<int64_t>(width) * height > (int64_t{1} << 30)) {
    throw DecodeError("JPEG header: implausible size " + std::to_string(width) + "x" + std::to_string(height));
  }
  const tjscalingfactor factor{1, scale_denom};
  const int w = TJSCALED(width, factor), h = TJSCALED(height, factor);
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  DecodedImage out;
  out.scale_denom = scale_denom;
  cv::Mat raw(h, w, cmyk ? CV_8UC4 : CV_8UC3);
  const int rc = tjDecompress2(tj, buf, static_cast<unsigned long>(bytes.size()), raw.data, w, 0, h,
                               cmyk ? TJPF_CMYK : TJPF_RGB, 0);
  if (rc != 0) {
    // Warnings (corrupt data, premature end) leave a usable image.
    if (tjGetErrorCode(tj) != TJERR_WARNING) throw DecodeError(std::string("JPEG: ") + tjGetErrorStr2(tj));
    out.had_warnings = true;
  }
  out.rgb = cmyk ? cmyk_to_rgb(raw) : raw;
  apply_orientation(out.rgb, exif_orientation(bytes));
  return out;
}

}  // namespace

ImageFormat sniff_format(std::string_view b) {
  if (starts(b, "\xff\xd8\xff", 3)) return ImageFormat::kJpeg;
  if (starts(b, "\x89PNG\r\n\x1a\n", 8)) return ImageFormat::kPng;
  if (starts(b, "BM", 2)) return ImageFormat::kBmp;
  if (starts(b, "RIFF", 4) && starts(b, "WEBP", 4, 8)) return ImageFormat::kWebp;
  if (starts(b, "II*\0", 4) || starts(b, "MM\0*", 4)) return ImageFormat::kTiff;
  if (starts(b, "GIF8", 4)) return ImageFormat::kGif;
  return ImageFormat::kUnknown;
}

const char* format_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg: return "JPEG";
    case ImageFormat::kPng: return "PNG";
    case ImageFormat::kBmp: return "BMP";
    case ImageFormat::kWebp: return "WebP";
    case ImageFormat::kTiff: return "TIFF";
    case ImageFormat::kGif: return "GIF";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

bool has_imgcodecs() {
#ifdef HORNET_WITH_IMGCODECS
  return true;
#else
  return false;
#endif
}

void apply_orientation(cv::Mat& img, int orientation) {
  switch (orientation) {
    case 2: cv::flip(img, img, 1); break;
    case 3: cv::flip(img, img, -1); break;
    case 4: cv::flip(img, img, 0); break;
    case 5: cv::transpose(img, img); break;
    case 6: cv::transpose(img, img); cv::flip(img, img, 1); break;
    case 7: cv::transpose(img, img); cv::flip(img, img, -1); break;
    case 8: cv::transpose(img, img); cv::flip(img, img, 0); break;
    default: break;
  }
}

ImageHeader read_header(std::string_view bytes) {
  ImageHeader header;
  header.format = sniff_format(bytes);
  if (header.format != ImageFormat::kJpeg) return header;
  int subsamp = 0, colorspace = 0;
  tjhandle tj = decompressor();
  if (tjDecompressHeader3(tj, reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<unsigned long>(bytes.size()), &header.width, &header.height, &subsamp,
                          &colorspace) != 0) {
    throw DecodeError(std::string("JPEG header: ") + tjGetErrorStr2(tj));
  }
  header.orientation = exif_orientation(bytes);
  if (header.orientation >= 5) std::swap(header.width, header.height);
  return header;
}

DecodedImage decode_image(std::string_view bytes, int scale_denom) {
  if (scale_denom != 1 && scale_denom != 2 && scale_denom != 4 && scale_denom != 8) {
    throw std::invalid_argument("decode_image: scale_denom must be 1, 2, 4 or 8");
  }
  if (bytes.empty()) throw DecodeError("empty file");
  const ImageFormat format = sniff_format(bytes);
  if (format == ImageFormat::kJpeg) return decode_jpeg(bytes, scale_denom);
  if (format == ImageFormat::kUnknown) throw DecodeError("not an image (unknown file signature)");
  // As torchvision's ImageFolder, GIF is not an image format of the datasets (and OpenCV cannot decode it).
  if (format == ImageFormat::kGif) throw DecodeError("GIF images are not supported; convert the file to PNG or JPEG");
#ifdef HORNET_WITH_LIBPNG
  // PNG through libpng directly: its warnings become ours instead of stray stderr lines.
  if (format == ImageFormat::kPng) {
    auto png = decode_png(bytes);
    DecodedImage out;
    out.rgb = std::move(png.rgb);
    out.had_warnings = !png.warning.empty();
    out.warning = png.warning.empty() ? "" : "PNG: " + png.warning;
    return out;
  }
#endif
#ifdef HORNET_WITH_IMGCODECS
  // A failure is reported once, as our DecodeError naming the file; OpenCV's own log lines would repeat it.
  static const bool quiet = [] {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    return true;
  }();
  (void)quiet;
  const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
  cv::Mat bgr;
  try {
    bgr = cv::imdecode(buf, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw DecodeError(std::string(format_name(format)) + ": " + e.what());
  }
  if (bgr.empty()) throw DecodeError(std::string(format_name(format)) + ": cannot decode");
  DecodedImage out;
  cv::cvtColor(bgr, out.rgb, cv::COLOR_BGR2RGB);
  return out;
#else
  throw DecodeError(std::string(format_name(format)) + " images need OpenCV imgcodecs, which this build lacks");
#endif
}

}  // namespace hornet::data
