#pragma once
// Test support: a looped H.264 stream (1280x720, 25 fps, real SPS/PPS, slice
// bytes that are not decodable pictures) and a catalog serving it, so that
// RTSP client and camera tests need no encoder.

#include <memory>
#include <string>

#include "rtsp/server.h"

namespace vigil::rtsp::testing {

// `frames` access units, a keyframe every `gop`.
std::shared_ptr<const LoopedStream> makeSyntheticH264(int frames = 50, int gop = 25);

// Serves the same stream at "/cam/0" only.
class SingleStreamCatalog final : public StreamCatalog {
 public:
  explicit SingleStreamCatalog(std::shared_ptr<const LoopedStream> stream) : stream_(std::move(stream)) {}
  std::shared_ptr<const LoopedStream> find(std::string_view path) const override {
    return path == "/cam/0" ? stream_ : nullptr;
  }

 private:
  std::shared_ptr<const LoopedStream> stream_;
};

}  // namespace vigil::rtsp::testing
