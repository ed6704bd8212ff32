#pragma once
// RTSP 1.0 messages (RFC 2326) and the splitter that frames a TCP byte
// stream into messages and interleaved binary frames ("$" channel length
// data, RFC 2326 §10.12). The splitter only frames bytes: no sockets, so it
// is tested and fuzzed with bytes alone.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "media/h26x.h"

namespace vigil::rtsp {

using media::ByteView;

struct RtspMessage {
  bool isRequest = true;
  std::string method;  // requests
  std::string uri;     // requests
  int statusCode = 0;  // responses
  std::string reason;  // responses
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header of that name (case-insensitive), value trimmed.
  std::optional<std::string_view> header(std::string_view name) const;
  // Every header of that name, in order (e.g. several WWW-Authenticate).
  std::vector<std::string_view> headerValues(std::string_view name) const;
  void setHeader(std::string name, std::string value);  // replaces
  // CSeq as a number; nullopt when absent or not a number.
  std::optional<uint32_t> cseq() const;
  // Wire form; Content-Length is added when there is a body.
  std::string serialize() const;

  static RtspMessage response(int status, std::string_view reason, std::optional<uint32_t> cseq);
};

bool equalsIgnoreCase(std::string_view a, std::string_view b);

class RtspSplitter {
 public:
  struct Limits {
    size_t maxHeaderBytes = 16 * 1024;
    size_t maxBodyBytes = 64 * 1024;
  };
  enum class Item { kNeedMore, kMessage, kInterleaved, kError };

  RtspSplitter() = default;
  explicit RtspSplitter(Limits limits) : limits_(limits) {}

  void append(ByteView bytes);
  // append() without its copy: room for at least `n` bytes at the end of
  // the buffer to read into, then commit() the count read (at most `n`).
  // Invalidates payload() and message().
  std::span<uint8_t> prepare(size_t n);
  void commit(size_t n);
  // Frames the next item. After kMessage, message() holds it; after
  // kInterleaved, channel() and payload() (valid until the next call). After
  // kError the stream cannot be resynchronised and error() says why.
  Item next();

  const RtspMessage& message() const { return message_; }
  uint8_t channel() const { return channel_; }
  ByteView payload() const { return payload_; }
  const Status& error() const { return error_; }
  size_t buffered() const { return end_ - offset_; }

 private:
  Item fail(std::string why);
  Limits limits_;
  std::vector<uint8_t> buffer_;  // [offset_, end_): not framed yet; beyond end_: room
  size_t offset_ = 0;
  size_t end_ = 0;
  RtspMessage message_;
  uint8_t channel_ = 0;
  ByteView payload_;
  Status error_;
};

// Parses one complete message (start line, headers, no body) from text.
Result<RtspMessage> parseRtspHead(std::string_view head);

}  // namespace vigil::rtsp
