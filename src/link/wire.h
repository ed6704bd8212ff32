#pragma once
// The tier link's wire format (design/LINK.md, "Framing"). One frame is one
// WebSocket binary message:
//
//   version u8 | kind u8 | reserved u16 (0) | channel u32 | length u32 | payload
//
// all big-endian, `length` the payload's size. Control kinds (below 0x80)
// travel on channel 0 and go before stream data in every send queue;
// data kinds (0x80 and up) travel on a channel above 0, one per stream.
// Every decoder here takes bytes from the network: it checks every length
// and field and answers InvalidArgument, never reads past its input.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace vigil::link {

inline constexpr uint8_t kWireVersion = 1;
inline constexpr size_t kHeaderBytes = 12;
// A whole frame, header included: the parent's WebSocket limit for what a
// child sends (HttpServerOptions::webSocketMaxMessageBytes) is the same.
inline constexpr size_t kMaxFrameBytes = 64 * 1024;
inline constexpr size_t kNonceBytes = 32;
inline constexpr size_t kKeyBytes = 32;
inline constexpr size_t kSignatureBytes = 64;
inline constexpr size_t kMaxReasonBytes = 256;

enum class Kind : uint8_t {
  // Handshake (design/LINK.md, "Handshake"), in this order.
  kHello = 1,      // child -> parent: its node id and nonce
  kChallenge = 2,  // parent -> child: its nonce and proof
  kAuth = 3,       // child -> parent: its proof
  kWelcome = 4,    // parent -> child: the link is up
  kRefuse = 5,     // either way: why the link ends; the sender closes next
  kPing = 6,
  kPong = 7,
  // After the handshake, the node's application messages (link/bus.h):
  // their payloads are defined by the parts that use them.
  kCatalog = 0x10,     // child -> parent: what it shares upward (catalog.h)
  kChain = 0x11,       // parent -> child: the nodes above it, each vouched for by the one above (ancestors.h)
  kLookOpen = 0x20,    // parent -> child: a user above asks to look (looks.h)
  kLookAnswer = 0x21,  // child -> parent: accepted or refused at the source
  kLookClose = 0x22,   // parent -> child: the viewer left
  kLookEnd = 0x23,     // child -> parent: the source ended the look (revoked...)
  kMediaOpen = 0x24,    // parent -> child: a user above asks for recorded media (remote_media.h)
  kMediaCredit = 0x25,  // parent -> child: more bytes of a reply may come
  kMediaCancel = 0x26,  // parent -> child: the asker left
  kDeliver = 0x30,     // either way: a durable message, at least once (outbox.h)
  kAck = 0x31,         // either way: durable messages received up to a sequence number
  kData = 0x80,        // stream data on a channel
  kMediaReply = 0x81,  // child -> parent: a recorded media reply's head, body and end, on its request's channel
};
bool isControl(Kind kind);
// Data frames that must arrive: a send queue never drops them (their
// sender holds at most a credit window of them per request instead).
bool isCredited(Kind kind);

struct Frame {
  Kind kind = Kind::kPing;
  uint32_t channel = 0;
  std::vector<uint8_t> payload;
};

std::vector<uint8_t> encodeFrame(Kind kind, uint32_t channel, std::span<const uint8_t> payload);
// The version must be ours, reserved zero, the length exact, a control
// kind on channel 0 and a data kind off it. An unknown kind is refused:
// both ends run the same protocol version.
Result<Frame> decodeFrame(std::span<const uint8_t> bytes);

using Nonce = std::array<uint8_t, kNonceBytes>;
using Signature = std::array<uint8_t, kSignatureBytes>;

struct Hello {
  std::string childId;  // [a-z0-9_-]{1,64}
  Nonce nonce{};
};
struct Challenge {
  Nonce nonce{};
  Signature proof{};
};
struct Auth {
  Signature proof{};
};
// Why a link ends; sent before closing. The codes tell a child whether
// retrying can help (design/LINK.md, "Refusals").
enum class RefuseCode : uint16_t {
  kProtocol = 1,     // malformed or unexpected message
  kUnknownNode = 2,  // not sent since unknown ids are refused like wrong keys (kBadProof); kept: the wire's numbering
  kRemoved = 3,      // the parent's admin removed this child
  kBadProof = 4,     // a signature did not verify
  kReplaced = 5,     // a newer connection of the same child took over
  kTimeout = 6,      // the handshake or the peer's keepalive ran out
  kShutdown = 7,     // the sender is stopping
};
struct Refuse {
  RefuseCode code = RefuseCode::kProtocol;
  std::string reason;  // for people: at most kMaxReasonBytes, printable
};
struct Ping {
  uint64_t id = 0;  // echoed by the Pong
};

std::vector<uint8_t> encode(const Hello& m);
std::vector<uint8_t> encode(const Challenge& m);
std::vector<uint8_t> encode(const Auth& m);
std::vector<uint8_t> encode(const Refuse& m);
std::vector<uint8_t> encode(const Ping& m);  // the payload of both kPing and kPong

Result<Hello> decodeHello(std::span<const uint8_t> payload);
Result<Challenge> decodeChallenge(std::span<const uint8_t> payload);
Result<Auth> decodeAuth(std::span<const uint8_t> payload);
Result<Refuse> decodeRefuse(std::span<const uint8_t> payload);
Result<Ping> decodePing(std::span<const uint8_t> payload);
// kWelcome carries nothing: InvalidArgument unless empty.
Status decodeWelcome(std::span<const uint8_t> payload);

// The durable outbox's messages (link/outbox.h, design/LINK.md "Outbox").
// `stream` names the sender's outbox (random, made with its database), so
// a sender whose database was replaced starts afresh at the receiver;
// `seq` counts from 1 per stream and destination.
inline constexpr size_t kMaxMessageTypeBytes = 32;
inline constexpr size_t kDeliveryHeaderBytes = 8 + 8 + 1;
inline constexpr size_t kMaxMessageBodyBytes = kMaxFrameBytes - kHeaderBytes - kDeliveryHeaderBytes - kMaxMessageTypeBytes;
struct Delivery {  // kDeliver: stream u64 | seq u64 | type size u8 | type | body
  uint64_t stream = 0;
  uint64_t seq = 0;
  std::string type;  // [a-z0-9._-]{1,32}, e.g. "audit.checkpoint"
  std::vector<uint8_t> body;
};
struct Ack {  // kAck: stream u64 | seq u64: every message up to seq arrived
  uint64_t stream = 0;
  uint64_t seq = 0;
};
bool isValidMessageType(std::string_view type);
std::vector<uint8_t> encode(const Delivery& m);
std::vector<uint8_t> encode(const Ack& m);
// Stream nonzero, seq from 1 to 2^63-1, the type as above, the body at
// most kMaxMessageBodyBytes.
Result<Delivery> decodeDelivery(std::span<const uint8_t> payload);
Result<Ack> decodeAck(std::span<const uint8_t> payload);

}  // namespace vigil::link
