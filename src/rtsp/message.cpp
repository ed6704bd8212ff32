#include "rtsp/message.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstring>

#include "base/encoding.h"

namespace vigil::rtsp {
namespace {

// Header lines may end in a stray CR when a peer ends lines with CRCRLF.
constexpr std::string_view kLineSpaces = " \t\r";

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::optional<uint64_t> parseNumber(std::string_view s) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::string_view> RtspMessage::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (equalsIgnoreCase(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> RtspMessage::headerValues(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : headers) {
    if (equalsIgnoreCase(k, name)) out.emplace_back(v);
  }
  return out;
}

void RtspMessage::setHeader(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (equalsIgnoreCase(k, name)) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

std::optional<uint32_t> RtspMessage::cseq() const {
  auto v = header("CSeq");
  if (!v) return std::nullopt;
  auto n = parseNumber(*v);
  if (!n || *n > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(*n);
}

std::string RtspMessage::serialize() const {
  std::string out = isRequest ? fmt::format("{} {} RTSP/1.0\r\n", method, uri)
                              : fmt::format("RTSP/1.0 {} {}\r\n", statusCode, reason);
  for (const auto& [k, v] : headers) {
    if (equalsIgnoreCase(k, "Content-Length")) continue;
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  if (!body.empty()) out += fmt::format("Content-Length: {}\r\n", body.size());
  out += "\r\n";
  out += body;
  return out;
}

RtspMessage RtspMessage::response(int status, std::string_view reason, std::optional<uint32_t> cseq) {
  RtspMessage m;
  m.isRequest = false;
  m.statusCode = status;
  m.reason = std::string(reason);
  if (cseq) m.headers.emplace_back("CSeq", std::to_string(*cseq));
  return m;
}

Result<RtspMessage> parseRtspHead(std::string_view head) {
  RtspMessage m;
  size_t lineEnd = head.find('\n');
  std::string_view first = trim(head.substr(0, lineEnd), kLineSpaces);
  std::string_view rest = lineEnd == std::string_view::npos ? std::string_view() : head.substr(lineEnd + 1);

  const size_t sp1 = first.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : first.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
    return Status::invalidArgument("malformed RTSP start line");
  }
  const std::string_view a = first.substr(0, sp1);
  const std::string_view b = first.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view c = first.substr(sp2 + 1);
  if (a.rfind("RTSP/", 0) == 0) {
    m.isRequest = false;
    auto status = parseNumber(b);
    if (a != "RTSP/1.0" || !status || *status < 100 || *status > 999) {
      return Status::invalidArgument("malformed RTSP status line");
    }
    m.statusCode = static_cast<int>(*status);
    m.reason = std::string(c);
  } else {
    if (!isToken(a) || b.empty() || c != "RTSP/1.0") {
      return Status::invalidArgument("malformed RTSP request line");
    }
    m.method = std::string(a);
    m.uri = std::string(b);
  }

  while (!rest.empty()) {
    lineEnd = rest.find('\n');
    std::string_view line = rest.substr(0, lineEnd);
    rest = lineEnd == std::string_view::npos ? std::string_view() : rest.substr(lineEnd + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {  // obsolete line folding
      if (m.headers.empty()) return Status::invalidArgument("header continuation without a header");
      m.headers.back().second += ' ';
      m.headers.back().second += trim(line, kLineSpaces);
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !isToken(trim(line.substr(0, colon), kLineSpaces))) {
      return Status::invalidArgument("malformed RTSP header line");
    }
    m.headers.emplace_back(std::string(trim(line.substr(0, colon), kLineSpaces)), std::string(trim(line.substr(colon + 1), kLineSpaces)));
  }
  return m;
}

void RtspSplitter::append(ByteView bytes) {
  if (bytes.empty()) return;
  std::memcpy(prepare(bytes.size()).data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

std::span<uint8_t> RtspSplitter::prepare(size_t n) {
  if (offset_ == end_) {
    offset_ = end_ = 0;
  } else if (buffer_.size() - end_ < n && end_ - offset_ <= offset_) {
    // Unframed bytes move to the front only when no more than were framed
    // since the last move: copying stays proportional to the bytes framed.
    std::memmove(buffer_.data(), buffer_.data() + offset_, end_ - offset_);
    end_ -= offset_;
    offset_ = 0;
  }
  if (buffer_.size() - end_ < n) buffer_.resize(std::max(end_ + n, buffer_.size() * 2));
  return {buffer_.data() + end_, n};
}

void RtspSplitter::commit(size_t n) {
  assert(n <= buffer_.size() - end_);
  end_ += n;
}

RtspSplitter::Item RtspSplitter::fail(std::string why) {
  error_ = Status::invalidArgument(std::move(why));
  return Item::kError;
}

RtspSplitter::Item RtspSplitter::next() {
  if (!error_.isOk()) return Item::kError;
  const size_t available = end_ - offset_;
  if (available == 0) return Item::kNeedMore;
  const uint8_t* data = buffer_.data() + offset_;

  if (data[0] == '$') {
    if (available < 4) return Item::kNeedMore;
    const size_t len = readBigEndian16(data + 2);
    if (available < 4 + len) return Item::kNeedMore;
    channel_ = data[1];
    payload_ = ByteView(data + 4, len);
    offset_ += 4 + len;
    return Item::kInterleaved;
  }

  // Find the blank line that ends the head: CRLF CRLF, or bare LF LF.
  const std::string_view text(reinterpret_cast<const char*>(data),
                              std::min(available, limits_.maxHeaderBytes + 4));
  size_t headEnd = std::string_view::npos;
  size_t sepLen = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '\n') continue;
    if (text[i + 1] == '\n') {
      headEnd = i + 1;
      sepLen = 1;
      break;
    }
    if (text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n') {
      headEnd = i + 1;
      sepLen = 2;
      break;
    }
  }
  if (headEnd == std::string_view::npos) {
    if (available > limits_.maxHeaderBytes) return fail("RTSP header block too large");
    // Fail early on bytes that cannot start a message, rather than waiting
    // for a blank line that will never come.
    const char c = static_cast<char>(data[0]);
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')) {
      return fail("bytes that are neither an RTSP message nor an interleaved frame");
    }
    return Item::kNeedMore;
  }
  if (headEnd > limits_.maxHeaderBytes) return fail("RTSP header block too large");

  auto parsed = parseRtspHead(text.substr(0, headEnd));
  if (!parsed) return fail(parsed.status().message());
  size_t bodyLen = 0;
  if (auto cl = parsed->header("Content-Length")) {
    auto n = parseNumber(*cl);
    if (!n) return fail("bad Content-Length");
    if (*n > limits_.maxBodyBytes) return fail("RTSP body too large");
    bodyLen = static_cast<size_t>(*n);
  }
  const size_t total = headEnd + sepLen + bodyLen;
  if (available < total) return Item::kNeedMore;
  message_ = std::move(parsed.value());
  message_.body.assign(reinterpret_cast<const char*>(data) + headEnd + sepLen, bodyLen);
  offset_ += total;
  return Item::kMessage;
}

}  // namespace vigil::rtsp
