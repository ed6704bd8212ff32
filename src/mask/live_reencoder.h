#pragma once
// One live stream decoded and encoded again (mask/masker.h) on a thread
// pool that many share, while anyone holds its output: what MaskedLive
// (masks) and the browser transcodes (transcode/) are made of. The output
// starts with the source's cached GOP, re-encoded. Behind the source (the
// CPU is short), it starts again at the source's latest GOP; an encoder
// failure stops it for good (failed()). The source's cache dropped
// (LiveStream::dropCache) drops the output's. Thread-safe.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "mask/masker.h"
#include "media/live.h"

namespace vigil::mask {

class LiveReencoder : public std::enable_shared_from_this<LiveReencoder> {
 public:
  // Re-encodes `source` with `masker` on `pool` from now on, into a stream
  // named after the source's id and `suffix`.
  static std::shared_ptr<LiveReencoder> start(std::shared_ptr<boost::asio::thread_pool> pool,
                                              std::shared_ptr<media::LiveStream> source, VideoMasker masker,
                                              std::string_view suffix);
  // The output, which holds this re-encoder: the last copy released stops it.
  static std::shared_ptr<media::LiveStream> output(const std::shared_ptr<LiveReencoder>& reencoder) {
    return {reencoder, reencoder->out_.get()};
  }
  // The encoder failed: nothing more comes out (start another).
  bool failed() const { return failed_.load(); }

  LiveReencoder(std::shared_ptr<boost::asio::thread_pool> pool, std::shared_ptr<media::LiveStream> source,
                VideoMasker masker, std::string_view suffix);  // use start()

 private:
  void subscribe();
  void drain();

  std::shared_ptr<boost::asio::thread_pool> pool_;  // outlives the strand
  boost::asio::strand<boost::asio::thread_pool::executor_type> strand_;
  // Touched on the strand only, but for out_, which any thread may subscribe to.
  const std::shared_ptr<media::LiveStream> source_;
  const std::shared_ptr<media::LiveStream> out_;
  VideoMasker masker_;
  std::vector<media::LiveItem> items_;
  std::vector<media::Frame> encoded_;
  bool newSegment_ = true;  // the next frame out starts a segment
  uint64_t sourceGeneration_ = 0;  // the source's cacheGeneration() the output's cache follows
  std::atomic<bool> failed_ = false;
  std::unique_ptr<media::LiveViewer> viewer_;  // last: unsubscribed first when the re-encoder goes
};

}  // namespace vigil::mask
