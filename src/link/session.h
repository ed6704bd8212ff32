#pragma once
// One link connection's protocol, the same code on both sides and without
// a socket (design/LINK.md, "Handshake", "Keepalive"): the mutual proof of
// the pinned node keys, pings with round-trip time, the dead-peer timeout,
// the refusal that says why a link ends, and the send queue. The owner
// (the parent's ChildLinks, the child's ParentLink) feeds it what arrives,
// writes what nextFrame() gives, and calls tick() at deadline(). Not
// thread-safe: it lives on its connection's loop.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "access/node_key.h"
#include "base/status.h"
#include "base/time.h"
#include "link/proof.h"
#include "link/send_queue.h"
#include "link/wire.h"

namespace vigil::link {

struct SessionOptions {
  std::chrono::milliseconds handshakeTimeout{10000};
  std::chrono::milliseconds pingInterval{10000};
  int missedPings = 3;  // nothing heard for this many intervals ends the link
  SendQueueLimits queue;
};

struct Traffic {
  uint64_t bytesIn = 0;   // whole frames, as received
  uint64_t bytesOut = 0;  // whole frames, as handed to the transport
  std::optional<double> rttMs;  // of the last answered ping
  std::optional<WallTime> lastSeen;  // the last frame received
};

// The parent's view of an enrolled child at its Hello.
struct PinnedChild {
  PublicKey key{};
  bool removed = false;  // its key is kept: the child proves it to learn that it was removed
};

// What the parent tells a removed child (once it proved its key).
std::string removedReason(const std::string& childId);

class Session {
 public:
  // NotFound when no child with this id was ever enrolled.
  using FindChild = std::function<Result<PinnedChild>(const std::string& childId)>;

  // The child's side; queues its Hello at once.
  Session(const access::NodeKey& own, const PublicKey& parentKey, std::string childId, const ChannelBinding& binding,
          const Clock& clock, SessionOptions options = {});
  // The parent's side; waits for a Hello.
  Session(const access::NodeKey& own, FindChild findChild, const ChannelBinding& binding, const Clock& clock,
          SessionOptions options = {});

  // A message from the peer. OK: carry on. Otherwise the link ends for
  // the reason given (a Refuse for the peer may be queued: write what is
  // queued, then close). Once ended, every call answers the same reason.
  Status receive(std::span<const uint8_t> message);
  // Call at deadline(): times the handshake out, sends pings, notices a
  // silent peer. Same answer as receive().
  Status tick();
  std::chrono::steady_clock::time_point deadline() const;
  // Ends the link from this side: queues a Refuse with `reason` for the
  // peer and returns the Status the owner reports.
  Status end(RefuseCode code, std::string reason);

  // Both keys proven (the parent has sent Welcome, or the child got it).
  bool ready() const { return ready_; }
  bool ended() const { return !ended_.isOk(); }
  const Status& endReason() const { return ended_; }
  // The child's id: given on the child's side, from its Hello on the parent's.
  const std::string& childId() const { return childId_; }
  // The child's key: its own on the child's side; on the parent's, the one
  // pinned when its Hello came, which its Auth proved once ready().
  const PublicKey& childKey() const { return childKey_; }

  // After the handshake, every frame but the keepalive and a refusal goes
  // to `handler` (the node's link/bus.h). A non-OK answer ends the link as
  // a protocol error, telling the peer why. Set before the handshake ends.
  using MessageHandler = std::function<Status(Frame frame)>;
  void setMessageHandler(MessageHandler handler) { handler_ = std::move(handler); }
  // Queues an application message (control kinds before data). False, and
  // the frame dropped, before the handshake, once ended, or when its lane
  // of the queue is full.
  bool send(Kind kind, uint32_t channel, std::span<const uint8_t> payload);

  // The next frame to write, control first; null when none.
  FrameBytes nextFrame();
  bool hasFrames() const { return !queue_.empty(); }
  const Traffic& traffic() const { return traffic_; }

 private:
  Session(const access::NodeKey& own, Signer role, FindChild findChild, const PublicKey& parentKey,
          const PublicKey& childKey, std::string childId, const ChannelBinding& binding, const Clock& clock,
          SessionOptions options);
  Status onHello(std::span<const uint8_t> payload);
  Status onChallenge(std::span<const uint8_t> payload);
  Status onAuth(std::span<const uint8_t> payload);
  Status onWelcome(std::span<const uint8_t> payload);
  Status onRefuse(std::span<const uint8_t> payload);
  void becomeReady();
  Status fail(Status reason);  // ends without sending a Refuse
  void sendControl(Kind kind, std::span<const uint8_t> payload);
  std::vector<uint8_t> statement(Signer signer) const;

  enum class Step { kHello, kChallenge, kAuth, kWelcome, kReady };  // what comes next
  static Kind expectedKind(Step step);
  const access::NodeKey& own_;
  const Signer role_;
  FindChild findChild_;
  MessageHandler handler_;
  PublicKey parentKey_{};
  PublicKey childKey_{};
  std::optional<PinnedChild> pinned_;  // the parent's: what its Hello found
  std::string childId_;
  const ChannelBinding binding_;
  const Clock& clock_;
  const SessionOptions options_;
  Step expect_;
  Nonce childNonce_{};
  Nonce parentNonce_{};
  bool ready_ = false;
  Status ended_;
  SendQueue queue_;
  Traffic traffic_;
  std::chrono::steady_clock::time_point handshakeDeadline_;
  std::chrono::steady_clock::time_point lastHeard_;
  std::chrono::steady_clock::time_point nextPing_;
  uint64_t pingId_ = 0;
  std::optional<std::chrono::steady_clock::time_point> pingSentAt_;
};

}  // namespace vigil::link
