#include "link/wire.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "base/config.h"
#include "link/byte_reader.h"

namespace vigil::link {

namespace {

bool knownKind(uint8_t kind) {
  switch (static_cast<Kind>(kind)) {
    case Kind::kHello:
    case Kind::kChallenge:
    case Kind::kAuth:
    case Kind::kWelcome:
    case Kind::kRefuse:
    case Kind::kPing:
    case Kind::kPong:
    case Kind::kCatalog:
    case Kind::kChain:
    case Kind::kLookOpen:
    case Kind::kLookAnswer:
    case Kind::kLookClose:
    case Kind::kLookEnd:
    case Kind::kDeliver:
    case Kind::kAck:
    case Kind::kMediaOpen:
    case Kind::kMediaCredit:
    case Kind::kMediaCancel:
    case Kind::kData:
    case Kind::kMediaReply: return true;
  }
  return false;
}

}  // namespace

bool isControl(Kind kind) { return static_cast<uint8_t>(kind) < 0x80; }
bool isCredited(Kind kind) { return kind == Kind::kMediaReply; }

std::vector<uint8_t> encodeFrame(Kind kind, uint32_t channel, std::span<const uint8_t> payload) {
  std::vector<uint8_t> out;
  out.reserve(kHeaderBytes + payload.size());
  out.push_back(kWireVersion);
  out.push_back(static_cast<uint8_t>(kind));
  putU16(out, 0);
  putU32(out, channel);
  putU32(out, static_cast<uint32_t>(payload.size()));
  putBytes(out, payload);
  return out;
}

Result<Frame> decodeFrame(std::span<const uint8_t> bytes) {
  Reader r(bytes, "frame");
  if (bytes.size() > kMaxFrameBytes) return r.error(fmt::format("{} bytes, more than {}", bytes.size(), kMaxFrameBytes));
  uint8_t version = 0, kind = 0;
  uint16_t reserved = 0;
  uint32_t length = 0;
  Frame f;
  if (!r.u8(version) || !r.u8(kind) || !r.u16(reserved) || !r.u32(f.channel) || !r.u32(length)) return r.truncated();
  if (version != kWireVersion) return r.error(fmt::format("version {}, expected {}", version, kWireVersion));
  if (reserved != 0) return r.error("reserved bits set");
  if (!knownKind(kind)) return r.error(fmt::format("unknown kind {}", kind));
  if (length != r.left()) return r.error(fmt::format("length {} but {} bytes follow", length, r.left()));
  f.kind = static_cast<Kind>(kind);
  if (isControl(f.kind) != (f.channel == 0)) return r.error("control frames go on channel 0, data frames off it");
  f.payload.assign(bytes.begin() + kHeaderBytes, bytes.end());
  return f;
}

std::vector<uint8_t> encode(const Hello& m) {
  std::vector<uint8_t> out;
  putBytes(out, m.nonce);
  out.push_back(static_cast<uint8_t>(m.childId.size()));
  putBytes(out, std::span(reinterpret_cast<const uint8_t*>(m.childId.data()), m.childId.size()));
  return out;
}

Result<Hello> decodeHello(std::span<const uint8_t> payload) {
  Reader r(payload, "hello");
  Hello m;
  uint8_t idSize = 0;
  if (!r.array(m.nonce) || !r.u8(idSize) || !r.string(m.childId, idSize)) return r.truncated();
  VIGIL_RETURN_IF_ERROR(r.done());
  if (!isValidId(m.childId)) return r.error("node id must be 1 to 64 of a-z, 0-9, '_' and '-'");
  return m;
}

std::vector<uint8_t> encode(const Challenge& m) {
  std::vector<uint8_t> out;
  putBytes(out, m.nonce);
  putBytes(out, m.proof);
  return out;
}

Result<Challenge> decodeChallenge(std::span<const uint8_t> payload) {
  Reader r(payload, "challenge");
  Challenge m;
  if (!r.array(m.nonce) || !r.array(m.proof)) return r.truncated();
  VIGIL_RETURN_IF_ERROR(r.done());
  return m;
}

std::vector<uint8_t> encode(const Auth& m) { return {m.proof.begin(), m.proof.end()}; }

Result<Auth> decodeAuth(std::span<const uint8_t> payload) {
  Reader r(payload, "auth");
  Auth m;
  if (!r.array(m.proof)) return r.truncated();
  VIGIL_RETURN_IF_ERROR(r.done());
  return m;
}

std::vector<uint8_t> encode(const Refuse& m) {
  std::vector<uint8_t> out;
  putU16(out, static_cast<uint16_t>(m.code));
  const size_t size = std::min(m.reason.size(), kMaxReasonBytes);
  putBytes(out, std::span(reinterpret_cast<const uint8_t*>(m.reason.data()), size));
  return out;
}

Result<Refuse> decodeRefuse(std::span<const uint8_t> payload) {
  Reader r(payload, "refuse");
  Refuse m;
  uint16_t code = 0;
  if (!r.u16(code)) return r.truncated();
  if (r.left() > kMaxReasonBytes) return r.error("reason too long");
  r.string(m.reason, r.left());
  // Shown to people and written to logs: printable ASCII only, so a peer
  // cannot forge log lines or terminal escapes.
  if (!std::all_of(m.reason.begin(), m.reason.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) {
    return r.error("reason is not printable ASCII");
  }
  if (code < static_cast<uint16_t>(RefuseCode::kProtocol) || code > static_cast<uint16_t>(RefuseCode::kShutdown)) {
    return r.error(fmt::format("unknown code {}", code));
  }
  m.code = static_cast<RefuseCode>(code);
  return m;
}

std::vector<uint8_t> encode(const Ping& m) {
  std::vector<uint8_t> out;
  putU64(out, m.id);
  return out;
}

Result<Ping> decodePing(std::span<const uint8_t> payload) {
  Reader r(payload, "ping");
  Ping m;
  if (!r.u64(m.id)) return r.truncated();
  VIGIL_RETURN_IF_ERROR(r.done());
  return m;
}

Status decodeWelcome(std::span<const uint8_t> payload) {
  return payload.empty() ? Status::ok() : Status::invalidArgument("link welcome: trailing bytes");
}

namespace {

constexpr uint64_t kMaxSeq = uint64_t{INT64_MAX};  // stored as SQLite integers

Status checkStreamAndSeq(const Reader& r, uint64_t stream, uint64_t seq) {
  if (stream == 0) return r.error("stream 0");
  if (seq == 0 || seq > kMaxSeq) return r.error(fmt::format("sequence number {} out of range", seq));
  return Status::ok();
}

}  // namespace

bool isValidMessageType(std::string_view type) {
  return !type.empty() && type.size() <= kMaxMessageTypeBytes &&
         std::all_of(type.begin(), type.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
         });
}

std::vector<uint8_t> encode(const Delivery& m) {
  std::vector<uint8_t> out;
  out.reserve(kDeliveryHeaderBytes + m.type.size() + m.body.size());
  putU64(out, m.stream);
  putU64(out, m.seq);
  out.push_back(static_cast<uint8_t>(m.type.size()));
  putBytes(out, std::span(reinterpret_cast<const uint8_t*>(m.type.data()), m.type.size()));
  putBytes(out, m.body);
  return out;
}

Result<Delivery> decodeDelivery(std::span<const uint8_t> payload) {
  Reader r(payload, "delivery");
  Delivery m;
  uint8_t typeSize = 0;
  if (!r.u64(m.stream) || !r.u64(m.seq) || !r.u8(typeSize) || !r.string(m.type, typeSize)) return r.truncated();
  VIGIL_RETURN_IF_ERROR(checkStreamAndSeq(r, m.stream, m.seq));
  if (!isValidMessageType(m.type)) return r.error("message type must be 1 to 32 of a-z, 0-9, '.', '_' and '-'");
  if (r.left() > kMaxMessageBodyBytes) return r.error(fmt::format("body of {} bytes, more than {}", r.left(), kMaxMessageBodyBytes));
  m.body.assign(payload.end() - static_cast<std::ptrdiff_t>(r.left()), payload.end());
  return m;
}

std::vector<uint8_t> encode(const Ack& m) {
  std::vector<uint8_t> out;
  putU64(out, m.stream);
  putU64(out, m.seq);
  return out;
}

Result<Ack> decodeAck(std::span<const uint8_t> payload) {
  Reader r(payload, "ack");
  Ack m;
  if (!r.u64(m.stream) || !r.u64(m.seq)) return r.truncated();
  VIGIL_RETURN_IF_ERROR(r.done());
  VIGIL_RETURN_IF_ERROR(checkStreamAndSeq(r, m.stream, m.seq));
  return m;
}

}  // namespace vigil::link
