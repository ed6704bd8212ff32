#pragma once
// Recorded video across tiers (design/LINK.md, "Recorded media across
// tiers"): a user of this node asks for a recording route of a camera of
// a node below (its recordings, a playback playlist or segment, an export
// with Range), hop by hop down the links, and reads the reply as it
// streams up. The node that owns the camera decides with its owner's
// shares for the asking tier and the right the route needs (a refusal is
// a `refused` row there), then runs its own route, which the http module
// gives it (serve(): link does not depend on http) and whose audit rows
// name the remote user. Nodes in between pass replies up without decoding
// them. Bodies move under credit: the asker grants a window, then more as
// it reads, so nothing is dropped or reordered and each hop holds at most
// a window per request. The right revoked, or a link lost, cuts a body.
//
// Threads: link messages arrive on the links' loops; decisions, routes
// and body reads run on this object's own threads; fetch() and
// Transfer::read() block their caller, each for a bounded time.
// Thread-safe.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "access/shares.h"
#include "link/looks.h"
#include "link/media_messages.h"

namespace vigil::link {

// A route's request at the owner, from a user above.
struct MediaAsk {
  std::string camera, path, query, range, ifRange;  // as in MediaOpen
  std::string user;  // "desk@county1": who asked, at the node that asked
  std::string look;  // a JSON object every audit row of it carries: remote, tier, via, right
};
// The owner's route's answer: its head, and its body's bytes
// [offset, offset + length) within head.length (may block on the disk).
struct MediaAnswer {
  MediaHead head;
  std::function<Result<std::vector<uint8_t>>(uint64_t offset, size_t length)> read;
};
struct MediaRoutes {
  // The right a path needs; nullopt when no route serves it (404).
  std::function<std::optional<access::ShareRight>(std::string_view path)> rightFor;
  std::function<MediaAnswer(const MediaAsk& ask)> serve;
  // Whether a path's answer for a camera holds no picture its privacy
  // masks do not cover (a list of recordings, or video the route masks):
  // for a camera with masks only such answers are served (null: none).
  std::function<bool(std::string_view camera, std::string_view path)> masksKept;
};

class RemoteMedia {
 public:
  class Transfer;
  struct Ask {
    std::string camera;  // "house7.door"
    std::string path, query, range, ifRange;
    std::string user;
  };
  // Body bytes in flight per request, and how many a reader takes before
  // it grants them again.
  static constexpr uint64_t kWindow = 1 << 20;
  static constexpr uint64_t kCreditStep = 256 << 10;

  // Registers the handlers on the bus: before the links start.
  explicit RemoteMedia(LooksContext context);
  ~RemoteMedia();
  RemoteMedia(const RemoteMedia&) = delete;
  RemoteMedia& operator=(const RemoteMedia&) = delete;

  // This node's own routes, for asks from above (until then: 404s).
  void serve(MediaRoutes routes);

  // Asks the owner and waits at most `timeout` for the reply's head.
  // PermissionDenied with the owner's reason when it refused, NotFound,
  // or Unavailable when a link on the way is down or nothing came.
  Result<std::unique_ptr<Transfer>> fetch(const Ask& ask, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Requests from above open at this node (served here or passed down).
  size_t openFromAbove() const;

 private:
  struct State;
  struct Sink;
  std::shared_ptr<State> state_;
};

// One reply coming up for a user of this node; destroying it before its
// body is all read cancels it below.
class RemoteMedia::Transfer {
 public:
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  const MediaHead& head() const { return head_; }
  // The next `length` bytes of the body (fewer only at its end), waiting
  // at most `timeout` for them: Unavailable with the owner's reason when
  // it cut the body (revoked, a link lost), or when nothing came.
  Result<std::vector<uint8_t>> read(size_t length, std::chrono::milliseconds timeout);

 private:
  friend struct RemoteMedia::State;
  Transfer(std::shared_ptr<State> state, std::shared_ptr<Sink> sink, MediaHead head)
      : state_(std::move(state)), sink_(std::move(sink)), head_(std::move(head)) {}
  std::shared_ptr<State> state_;
  std::shared_ptr<Sink> sink_;
  MediaHead head_;
};

}  // namespace vigil::link
