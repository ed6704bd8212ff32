#pragma once
// Ends what a session holds open when the right to it ends: a live
// WebSocket, a streamed export, a live HLS look. Whoever holds such a right
// registers it here and gets a Hold; one thread re-checks every session
// that holds something (Accounts::recheck) every `interval`, at once when
// this process changes accounts (logout, password change, grants; see
// Accounts::setChangeListener) and at once for a session it has not seen
// yet. When a session has ended, or its user no longer has the role or the
// camera, each of its holds gets onEnd with the reason.
//
// Changes made elsewhere (the CLI beside a running node, another node on a
// shared PostgreSQL database) and the clock (expiry) are seen by the
// periodic check: within `interval` plus one check's time. While the
// database cannot answer, what is held stays open and the failure is
// logged; the check is retried at the next interval.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "access/accounts.h"

namespace vigil::access {

// Why a held right ended besides the session's end_reason (accounts.h).
namespace end_reason {
inline constexpr std::string_view kGrantRemoved = "grant_removed";  // the camera, or the role, was taken away
inline constexpr std::string_view kIdle = "idle";                   // not used for its idle time
}  // namespace end_reason

struct HeldRight {
  std::string token;          // the session's token
  Role role = Role::kViewer;  // the least role it needs
  std::string camera;         // the camera it shows; empty: none
};

class RightsWatch {
 public:
  using OnEnd = std::function<void(std::string_view reason)>;
  struct Entry;
  struct Core;

  // Holds its right until destroyed; then no onEnd runs any more (the
  // destructor waits for one running on another thread). May outlive the
  // watch: it is then simply never checked.
  class Hold {
   public:
    Hold(std::shared_ptr<Core> core, std::shared_ptr<Entry> entry);
    ~Hold();
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    // A use, for a hold made with an idle time.
    void touch();

   private:
    std::shared_ptr<Core> core_;
    std::shared_ptr<Entry> entry_;
  };

  explicit RightsWatch(Accounts& accounts, std::chrono::milliseconds interval = std::chrono::milliseconds(500));
  ~RightsWatch();  // stop()
  RightsWatch(const RightsWatch&) = delete;
  RightsWatch& operator=(const RightsWatch&) = delete;

  // Watches `right`. onEnd runs at most once, on the watch's thread, with
  // an end_reason; it may write an audit row, and should otherwise only
  // hand over (post to a loop). With `idleAfter`, the hold also ends
  // ("idle") when touch() was not called for that long. Thread-safe and
  // quick (no database access): may be called on a loop.
  std::unique_ptr<Hold> hold(HeldRight right, OnEnd onEnd,
                             std::optional<std::chrono::steady_clock::duration> idleAfter = std::nullopt);
  // Thread-safe: re-checks at once and waits, at most `bound`, until a
  // whole round of checks that began after the call has ended, so what is
  // held now has been looked at (its reason known should it end). False
  // when it did not end within `bound` or the watch stopped.
  bool checkNow(std::chrono::milliseconds bound);
  // Stops checking and joins the thread; holds stay valid. Idempotent.
  void stop();

 private:
  std::shared_ptr<Core> core_;
  std::thread thread_;
};

}  // namespace vigil::access
