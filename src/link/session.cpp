#include "link/session.h"

#include <fmt/format.h>

namespace vigil::link {

namespace {

std::span<const uint8_t, kSignatureBytes> sigSpan(const Signature& s) { return std::span<const uint8_t, kSignatureBytes>(s); }

Signature toSignature(const access::NodeKey::Signature& s) {
  Signature out{};
  std::copy(s.begin(), s.end(), out.begin());
  return out;
}

}  // namespace

std::string removedReason(const std::string& childId) {
  return fmt::format("node \"{}\" was removed by this parent's admin", childId);
}

namespace {

// The Status a refusal reads as, on either side.
Status statusFor(RefuseCode code, std::string text) {
  switch (code) {
    case RefuseCode::kRemoved: return Status::permissionDenied(std::move(text));
    case RefuseCode::kUnknownNode: return Status::notFound(std::move(text));
    case RefuseCode::kBadProof: return Status::unauthenticated(std::move(text));
    case RefuseCode::kTimeout: return Status::deadlineExceeded(std::move(text));
    case RefuseCode::kProtocol: return Status::invalidArgument(std::move(text));
    case RefuseCode::kReplaced:
    case RefuseCode::kShutdown: break;
  }
  return Status::unavailable(std::move(text));
}

}  // namespace

Kind Session::expectedKind(Step step) {
  switch (step) {
    case Step::kHello: return Kind::kHello;
    case Step::kChallenge: return Kind::kChallenge;
    case Step::kAuth: return Kind::kAuth;
    default: return Kind::kWelcome;
  }
}

Session::Session(const access::NodeKey& own, Signer role, FindChild findChild, const PublicKey& parentKey,
                 const PublicKey& childKey, std::string childId, const ChannelBinding& binding, const Clock& clock,
                 SessionOptions options)
    : own_(own),
      role_(role),
      findChild_(std::move(findChild)),
      parentKey_(parentKey),
      childKey_(childKey),
      childId_(std::move(childId)),
      binding_(binding),
      clock_(clock),
      options_(options),
      expect_(role == Signer::kChild ? Step::kChallenge : Step::kHello),
      queue_(options.queue) {
  const auto now = clock_.steadyNow();
  handshakeDeadline_ = now + options_.handshakeTimeout;
  lastHeard_ = now;
}

Session::Session(const access::NodeKey& own, const PublicKey& parentKey, std::string childId,
                 const ChannelBinding& binding, const Clock& clock, SessionOptions options)
    : Session(own, Signer::kChild, nullptr, parentKey, own.publicKey(), std::move(childId), binding, clock, options) {
  childNonce_ = newNonce();
  sendControl(Kind::kHello, encode(Hello{childId_, childNonce_}));
}

Session::Session(const access::NodeKey& own, FindChild findChild, const ChannelBinding& binding, const Clock& clock,
                 SessionOptions options)
    : Session(own, Signer::kParent, std::move(findChild), own.publicKey(), PublicKey{}, "", binding, clock, options) {}

void Session::sendControl(Kind kind, std::span<const uint8_t> payload) {
  // Control frames are small and few; a full control lane means the peer
  // stopped reading long ago, which the keepalive ends.
  queue_.push(std::make_shared<const std::vector<uint8_t>>(encodeFrame(kind, 0, payload)), isControl(kind));
}

bool Session::send(Kind kind, uint32_t channel, std::span<const uint8_t> payload) {
  if (!ready_ || !ended_.isOk()) return false;
  return queue_.push(std::make_shared<const std::vector<uint8_t>>(encodeFrame(kind, channel, payload)),
                     isControl(kind), isCredited(kind));
}

FrameBytes Session::nextFrame() {
  FrameBytes f = queue_.pop();
  if (f) traffic_.bytesOut += f->size();
  return f;
}

std::vector<uint8_t> Session::statement(Signer signer) const {
  return connectStatement(signer, binding_, childId_, childNonce_, parentNonce_, parentKey_, childKey_);
}

Status Session::fail(Status reason) {
  if (ended_.isOk()) ended_ = std::move(reason);
  return ended_;
}

Status Session::end(RefuseCode code, std::string reason) {
  if (!ended_.isOk()) return ended_;
  sendControl(Kind::kRefuse, encode(Refuse{code, reason}));
  return fail(statusFor(code, std::move(reason)));
}

Status Session::receive(std::span<const uint8_t> message) {
  if (!ended_.isOk()) return ended_;
  traffic_.bytesIn += message.size();
  auto frame = decodeFrame(message);
  if (!frame) return end(RefuseCode::kProtocol, frame.status().message());
  lastHeard_ = clock_.steadyNow();
  traffic_.lastSeen = clock_.now();
  if (frame->kind == Kind::kRefuse) return onRefuse(frame->payload);
  if (!ready_) {
    // The handshake, strictly in order.
    if (frame->kind != expectedKind(expect_)) return end(RefuseCode::kProtocol, "unexpected message during the handshake");
    switch (expect_) {
      case Step::kHello: return onHello(frame->payload);
      case Step::kChallenge: return onChallenge(frame->payload);
      case Step::kAuth: return onAuth(frame->payload);
      default: return onWelcome(frame->payload);
    }
  }
  switch (frame->kind) {
    case Kind::kPing: {
      auto ping = decodePing(frame->payload);
      if (!ping) return end(RefuseCode::kProtocol, ping.status().message());
      sendControl(Kind::kPong, encode(*ping));
      return Status::ok();
    }
    case Kind::kPong: {
      auto pong = decodePing(frame->payload);
      if (!pong) return end(RefuseCode::kProtocol, pong.status().message());
      if (pingSentAt_ && pong->id == pingId_) {
        traffic_.rttMs = std::chrono::duration<double, std::milli>(clock_.steadyNow() - *pingSentAt_).count();
        pingSentAt_.reset();
      }
      return Status::ok();
    }
    case Kind::kHello:
    case Kind::kChallenge:
    case Kind::kAuth:
    case Kind::kWelcome: return end(RefuseCode::kProtocol, "a handshake message after the handshake");
    default: {
      if (!handler_) return end(RefuseCode::kProtocol, "unexpected message");
      Status s = handler_(std::move(*frame));
      if (!s.isOk()) return end(RefuseCode::kProtocol, s.message());
      return Status::ok();
    }
  }
}

Status Session::onHello(std::span<const uint8_t> payload) {
  auto hello = decodeHello(payload);
  if (!hello) return end(RefuseCode::kProtocol, hello.status().message());
  childId_ = hello->childId;
  childNonce_ = hello->nonce;
  auto pinned = findChild_(childId_);
  if (!pinned && pinned.status().code() != StatusCode::kNotFound) {
    return end(RefuseCode::kShutdown, "the parent cannot check enrolments now");
  }
  if (pinned) {
    pinned_ = *pinned;
    childKey_ = pinned->key;
  }
  // The same Challenge, then the same refusal after the Auth, for an
  // unknown id, a removed one and an enrolled one with a wrong key: a
  // stranger learns nothing of who is enrolled. Only the child that
  // proves its key learns that it was removed, and only after the parent
  // proved its own (design/LINK.md, "Handshake").
  parentNonce_ = newNonce();
  sendControl(Kind::kChallenge, encode(Challenge{parentNonce_, toSignature(own_.sign(statement(Signer::kParent)))}));
  expect_ = Step::kAuth;
  return Status::ok();
}

Status Session::onChallenge(std::span<const uint8_t> payload) {
  auto challenge = decodeChallenge(payload);
  if (!challenge) return end(RefuseCode::kProtocol, challenge.status().message());
  parentNonce_ = challenge->nonce;
  if (!access::NodeKey::verify(parentKey_, statement(Signer::kParent), sigSpan(challenge->proof))) {
    return end(RefuseCode::kBadProof,
               "the parent's proof does not match its key pinned at enrolment (another server at this address?)");
  }
  sendControl(Kind::kAuth, encode(Auth{toSignature(own_.sign(statement(Signer::kChild)))}));
  expect_ = Step::kWelcome;
  return Status::ok();
}

Status Session::onAuth(std::span<const uint8_t> payload) {
  auto auth = decodeAuth(payload);
  if (!auth) return end(RefuseCode::kProtocol, auth.status().message());
  // childKey_ is all zeros for an unknown id: no proof verifies.
  if (!access::NodeKey::verify(childKey_, statement(Signer::kChild), sigSpan(auth->proof)) || !pinned_) {
    return end(RefuseCode::kBadProof,
               fmt::format("node \"{}\": its proof matches no key enrolled here (an unknown node, or another key)",
                           childId_));
  }
  if (pinned_->removed) return end(RefuseCode::kRemoved, removedReason(childId_));
  sendControl(Kind::kWelcome, {});
  becomeReady();
  return Status::ok();
}

Status Session::onWelcome(std::span<const uint8_t> payload) {
  if (Status s = decodeWelcome(payload); !s.isOk()) return end(RefuseCode::kProtocol, s.message());
  becomeReady();
  return Status::ok();
}

void Session::becomeReady() {
  ready_ = true;
  expect_ = Step::kReady;
  nextPing_ = clock_.steadyNow();  // a first ping at once: the round-trip time is known from the start
}

Status Session::onRefuse(std::span<const uint8_t> payload) {
  auto refuse = decodeRefuse(payload);
  if (!refuse) return fail(Status::invalidArgument(refuse.status().message()));
  // A child that has not yet checked the parent's proof cannot tell who
  // refuses: says so.
  const char* peer = role_ == Signer::kParent        ? "the child"
                     : expect_ == Step::kChallenge ? "the server at the parent's address (before proving its key)"
                                                   : "the parent";
  return fail(statusFor(refuse->code, fmt::format("{} refused the link: {}", peer, refuse->reason)));
}

Status Session::tick() {
  if (!ended_.isOk()) return ended_;
  const auto now = clock_.steadyNow();
  if (!ready_) {
    if (now >= handshakeDeadline_) return end(RefuseCode::kTimeout, "the handshake did not finish in time");
    return Status::ok();
  }
  const auto silence = options_.pingInterval * options_.missedPings;
  if (now - lastHeard_ >= silence) {
    return end(RefuseCode::kTimeout,
               fmt::format("nothing heard from the peer for {} s",
                           std::chrono::duration_cast<std::chrono::seconds>(silence).count()));
  }
  if (now >= nextPing_) {
    ++pingId_;
    pingSentAt_ = now;
    sendControl(Kind::kPing, encode(Ping{pingId_}));
    nextPing_ = now + options_.pingInterval;
  }
  return Status::ok();
}

std::chrono::steady_clock::time_point Session::deadline() const {
  if (!ready_) return handshakeDeadline_;
  return std::min(nextPing_, lastHeard_ + options_.pingInterval * options_.missedPings);
}

}  // namespace vigil::link
