#include "mask/live_reencoder.h"

#include <boost/asio/post.hpp>

#include "base/log.h"

namespace vigil::mask {

namespace asio = boost::asio;

LiveReencoder::LiveReencoder(std::shared_ptr<asio::thread_pool> pool, std::shared_ptr<media::LiveStream> source,
                             VideoMasker masker, std::string_view suffix)
    : pool_(std::move(pool)),
      strand_(asio::make_strand(pool_->get_executor())),
      source_(std::move(source)),
      out_(std::make_shared<media::LiveStream>(source_->id() + " (" + std::string(suffix) + ")", media::LiveOptions{},
                                               SystemClock::instance())),
      masker_(std::move(masker)) {}

std::shared_ptr<LiveReencoder> LiveReencoder::start(std::shared_ptr<asio::thread_pool> pool,
                                                    std::shared_ptr<media::LiveStream> source, VideoMasker masker,
                                                    std::string_view suffix) {
  auto reencoder = std::make_shared<LiveReencoder>(std::move(pool), std::move(source), std::move(masker), suffix);
  // Weak: a handler the stopped pool never runs must not keep the
  // re-encoder (which keeps the pool).
  asio::post(reencoder->strand_, [weak = std::weak_ptr<LiveReencoder>(reencoder)] {
    if (auto r = weak.lock()) r->subscribe();
  });
  return reencoder;
}

// On the strand: (again) a viewer of the source, its cached GOP first.
void LiveReencoder::subscribe() {
  viewer_ = source_->subscribe([weak = weak_from_this()] {
    if (auto r = weak.lock()) asio::post(r->strand_, [weak] {
        if (auto again = weak.lock()) again->drain();
      });
  });
  newSegment_ = true;
  sourceGeneration_ = source_->cacheGeneration();
  drain();
}

// On the strand: what the source sent since, re-encoded and published.
void LiveReencoder::drain() {
  if (failed_ || !viewer_) return;
  if (const uint64_t generation = source_->cacheGeneration(); generation != sourceGeneration_) {
    // The source dropped its cache (its camera's session ended): so does
    // the output, whose cache was made of the same pictures.
    sourceGeneration_ = generation;
    out_->dropCache();
    newSegment_ = true;
  }
  if (Status s = viewer_->pop(items_); !s.isOk()) {
    // Too slow for the camera (the CPU is short): start again at its
    // latest GOP rather than stop.
    log::warn("mask.live_behind", {{"camera", source_->id()}, {"status", s}});
    return subscribe();
  }
  for (const media::LiveItem& item : items_) {
    if (item.newSegment || item.discontinuity) newSegment_ = true;
    encoded_.clear();
    if (Status s = masker_.push(*item.frame, encoded_); !s.isOk()) {
      log::error("mask.live_failed", {{"camera", source_->id()}, {"status", s}});
      failed_ = true;  // nothing more goes out; a new hold starts again
      viewer_.reset();
      return;
    }
    for (media::Frame& f : encoded_) {
      out_->publish(std::make_shared<const media::Frame>(std::move(f)), std::exchange(newSegment_, false));
    }
  }
  items_.clear();
}

}  // namespace vigil::mask
