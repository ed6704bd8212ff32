#include "rtsp/sdp.h"

#include <algorithm>
#include <charconv>

#include "base/encoding.h"
#include "media/parameter_sets.h"

namespace vigil::rtsp {
namespace {

constexpr std::string_view kSpaces = " \t\r";

std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string toUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

template <typename T>
std::optional<T> parseNumber(std::string_view s) {
  s = trim(s, kSpaces);
  T v{};
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Splits on any run of spaces/tabs.
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t b = s.find_first_not_of(" \t", i);
    if (b == std::string_view::npos) break;
    size_t e = s.find_first_of(" \t", b);
    if (e == std::string_view::npos) e = s.size();
    out.push_back(s.substr(b, e - b));
    i = e;
  }
  return out;
}

// RFC 3551 static payload types that cameras use without an rtpmap line.
struct StaticPayloadType {
  int pt;
  std::string_view name;
  uint32_t clockRate;
  int channels;
};
constexpr StaticPayloadType kStaticPayloadTypes[] = {
    {0, "PCMU", 8000, 1},  {3, "GSM", 8000, 1},    {8, "PCMA", 8000, 1},  {9, "G722", 8000, 1},
    {10, "L16", 44100, 2}, {11, "L16", 44100, 1},  {14, "MPA", 90000, 0}, {26, "JPEG", 90000, 0},
    {32, "MPV", 90000, 0}, {33, "MP2T", 90000, 0},
};

// "<pt> <rest>" of rtpmap/fmtp; nullopt when there is no numeric payload type.
std::optional<std::pair<int, std::string_view>> splitPayloadType(std::string_view value) {
  value = trim(value, kSpaces);
  const size_t sp = value.find_first_of(" \t");
  auto pt = parseNumber<int>(value.substr(0, sp));
  if (!pt) return std::nullopt;
  return std::pair{*pt, sp == std::string_view::npos ? std::string_view{} : trim(value.substr(sp), kSpaces)};
}

// Whether an rtpmap/fmtp line for `pt` describes this media: its own payload
// type always; for cameras that number them inconsistently, a payload type
// the m= line does not list at all, as long as nothing was learnt yet
// (`learnt`) from a line with the right number.
bool appliesTo(const SdpMedia& m, const std::vector<int>& formats, int pt, bool learnt) {
  if (pt == m.payloadType) return true;
  return !learnt && std::find(formats.begin(), formats.end(), pt) == formats.end();
}

void parseRtpmap(SdpMedia& m, std::string_view rest) {
  // "H264/90000", "MPEG4-GENERIC/16000/2", "PCMA/8000"
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= rest.size()) {
    size_t e = rest.find('/', i);
    if (e == std::string_view::npos) e = rest.size();
    parts.push_back(trim(rest.substr(i, e - i), kSpaces));
    i = e + 1;
  }
  if (parts.empty() || parts[0].empty()) return;
  m.encodingName = toUpper(parts[0]);
  if (parts.size() > 1) {
    if (auto rate = parseNumber<uint32_t>(parts[1])) m.clockRate = *rate;
  }
  if (parts.size() > 2) {
    if (auto ch = parseNumber<int>(parts[2]); ch && *ch > 0 && *ch <= 64) m.channels = *ch;
  }
}

void parseFmtp(SdpMedia& m, std::string_view rest) {
  size_t i = 0;
  while (i < rest.size()) {
    size_t e = rest.find(';', i);
    if (e == std::string_view::npos) e = rest.size();
    const std::string_view item = trim(rest.substr(i, e - i), kSpaces);
    i = e + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    // Values (base64) may contain '=': split at the first one only.
    const std::string key = toLower(trim(item.substr(0, eq), kSpaces));
    if (key.empty()) continue;
    m.fmtp[key] =
        eq == std::string_view::npos ? std::string{} : std::string(trim(item.substr(eq + 1), kSpaces));
  }
}

std::optional<media::Bytes> hexDecode(std::string_view s) {
  s = trim(s, kSpaces);
  if (s.size() % 2 != 0) return std::nullopt;
  media::Bytes out;
  out.reserve(s.size() / 2);
  for (size_t i = 0; i < s.size(); i += 2) {
    uint8_t b = 0;
    const auto [p, ec] = std::from_chars(s.data() + i, s.data() + i + 2, b, 16);
    if (ec != std::errc() || p != s.data() + i + 2) return std::nullopt;
    out.push_back(b);
  }
  return out;
}

// Decodes a comma-separated list of base64 parameter sets and files each NAL
// unit by its type, whatever key it came under. Undecodable entries are
// skipped.
void addParameterSets(SdpMedia& m, media::VideoCodec codec, std::string_view list) {
  size_t i = 0;
  while (i < list.size()) {
    size_t e = list.find(',', i);
    if (e == std::string_view::npos) e = list.size();
    std::string item;
    for (char c : list.substr(i, e - i)) {
      if (c != ' ' && c != '\t') item.push_back(c);
    }
    i = e + 1;
    auto nal = base64Decode(item);
    if (!nal || nal->size() < media::nalHeaderSize(codec)) continue;
    const uint8_t type = media::nalType(codec, (*nal)[0]);
    std::vector<media::Bytes>* dest = nullptr;
    if (codec == media::VideoCodec::kH264) {
      if (type == media::h264::kSps) dest = &m.sps;
      if (type == media::h264::kPps) dest = &m.pps;
    } else {
      if (type == media::h265::kVps) dest = &m.vps;
      if (type == media::h265::kSps) dest = &m.sps;
      if (type == media::h265::kPps) dest = &m.pps;
    }
    if (dest && std::find(dest->begin(), dest->end(), *nal) == dest->end())
      dest->push_back(std::move(*nal));
  }
}

// ISO/IEC 14496-3 §1.6.2.1 AudioSpecificConfig: object type, sampling
// frequency (index or explicit 24-bit), channel configuration.
void readAudioSpecificConfig(AacParameters& aac) {
  static constexpr int kRates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                   22050, 16000, 12000, 11025, 8000,  7350};
  media::BitReader r(aac.audioSpecificConfig);
  uint32_t objectType = r.bits(5);
  if (objectType == 31) objectType = 32 + r.bits(6);
  const uint32_t index = r.bits(4);
  int rate = 0;
  if (index == 15) {
    rate = static_cast<int>(r.bits(24));
  } else if (index < std::size(kRates)) {
    rate = kRates[index];
  }
  const uint32_t channelConfig = r.bits(4);
  if (!r.ok()) return;
  aac.sampleRate = rate;
  aac.channels = channelConfig == 7 ? 8 : static_cast<int>(channelConfig);
}

int fmtpInt(const SdpMedia& m, const std::string& key) {
  auto it = m.fmtp.find(key);
  if (it == m.fmtp.end()) return 0;
  auto v = parseNumber<int>(it->second);
  return v && *v >= 0 && *v <= 64 ? *v : 0;
}

// Fills the codec-specific fields once the whole media section is read.
void finishMedia(SdpMedia& m) {
  if (m.encodingName.empty() && m.payloadType >= 0 && m.payloadType < 96) {
    for (const auto& s : kStaticPayloadTypes) {
      if (s.pt == m.payloadType) {
        m.encodingName = std::string(s.name);
        m.clockRate = s.clockRate;
        if (m.channels == 0) m.channels = s.channels;
      }
    }
  }
  if (m.type == "audio" && m.channels == 0) m.channels = 1;

  if (m.encodingName == "H264" || m.encodingName == "H265" || m.encodingName == "HEVC") {
    const auto codec =
        m.encodingName == "H264" ? media::VideoCodec::kH264 : media::VideoCodec::kH265;
    m.videoCodec = codec;
    if (m.clockRate == 0) m.clockRate = 90000;
    for (const char* key : {"sprop-parameter-sets", "sprop-vps", "sprop-sps", "sprop-pps"}) {
      if (auto it = m.fmtp.find(key); it != m.fmtp.end()) addParameterSets(m, codec, it->second);
    }
  } else if (m.encodingName == "MPEG4-GENERIC" && m.type == "audio") {
    AacParameters aac;
    if (auto it = m.fmtp.find("config"); it != m.fmtp.end()) {
      if (auto bytes = hexDecode(it->second)) aac.audioSpecificConfig = std::move(*bytes);
    }
    if (auto it = m.fmtp.find("mode"); it != m.fmtp.end()) aac.mode = it->second;
    aac.sizeLength = fmtpInt(m, "sizelength");
    aac.indexLength = fmtpInt(m, "indexlength");
    aac.indexDeltaLength = fmtpInt(m, "indexdeltalength");
    if (auto it = m.fmtp.find("constantsize"); it != m.fmtp.end()) {
      if (auto v = parseNumber<int>(it->second); v && *v > 0 && *v < 65536) aac.constantSize = *v;
    }
    readAudioSpecificConfig(aac);
    m.aac = std::move(aac);
  }
}

}  // namespace

Result<SessionDescription> parseSdp(std::string_view text) {
  SessionDescription sd;
  SdpMedia* current = nullptr;
  std::vector<int> formats;  // of the current media section
  bool skipping = false;     // inside an m= section that could not be read
  auto finishCurrent = [&] {
    if (!current) return;
    if (current->connectionAddress.empty()) current->connectionAddress = sd.connectionAddress;
    finishMedia(*current);
  };

  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = trim(text.substr(pos, end - pos), kSpaces);
    pos = end + 1;
    if (line.size() < 2 || line[1] != '=') continue;
    const char kind = line[0];
    const std::string_view value = trim(line.substr(2), kSpaces);
    if (skipping && kind != 'm') continue;

    if (kind == 'm') {
      const auto w = words(value);
      finishCurrent();
      current = nullptr;
      skipping = w.empty();  // the lines of an unreadable section are dropped
      if (skipping) continue;
      sd.media.emplace_back();
      current = &sd.media.back();
      formats.clear();
      current->type = toLower(w[0]);
      if (w.size() > 1) {
        // "5000" or "5000/2"
        const std::string_view port = w[1].substr(0, w[1].find('/'));
        if (auto p = parseNumber<uint16_t>(port)) current->port = *p;
      }
      if (w.size() > 2) current->protocol = std::string(w[2]);
      for (size_t i = 3; i < w.size(); ++i) {
        if (auto pt = parseNumber<int>(w[i]); pt && *pt >= 0 && *pt <= 127) formats.push_back(*pt);
      }
      if (!formats.empty()) current->payloadType = formats.front();
      continue;
    }

    if (kind == 's' && !current) {
      sd.sessionName = std::string(value);
    } else if (kind == 'c') {
      // "IN IP4 192.0.2.5/127": keep the address without TTL / count.
      const auto w = words(value);
      if (w.size() >= 3) {
        std::string addr(w[2].substr(0, w[2].find('/')));
        (current ? current->connectionAddress : sd.connectionAddress) = std::move(addr);
      }
    } else if (kind == 'a') {
      const size_t colon = value.find(':');
      const std::string name = toLower(trim(value.substr(0, colon), kSpaces));
      const std::string_view attr =
          colon == std::string_view::npos ? std::string_view{} : trim(value.substr(colon + 1), kSpaces);
      if (name == "control") {
        (current ? current->control : sd.control) = std::string(attr);
      } else if (name == "range" && !current) {
        sd.range = std::string(attr);
      } else if (!current) {
        continue;  // other session-level attributes are not needed
      } else if (name == "rtpmap") {
        if (auto p = splitPayloadType(attr);
            p && appliesTo(*current, formats, p->first, !current->encodingName.empty())) {
          if (current->payloadType < 0) current->payloadType = p->first;
          parseRtpmap(*current, p->second);
        }
      } else if (name == "fmtp") {
        if (auto p = splitPayloadType(attr);
            p && appliesTo(*current, formats, p->first, !current->fmtp.empty())) {
          parseFmtp(*current, p->second);
        }
      } else if (name == "framerate") {
        if (auto f = parseNumber<double>(attr); f && *f > 0 && *f < 1000) current->framerate = *f;
      }
    }
  }
  finishCurrent();
  if (sd.media.empty()) return Status::invalidArgument("SDP has no media section");
  return sd;
}

std::string controlBaseUrl(std::optional<std::string_view> contentBase,
                           std::optional<std::string_view> contentLocation,
                           std::string_view requestUrl) {
  if (contentBase && !trim(*contentBase, kSpaces).empty()) return std::string(trim(*contentBase, kSpaces));
  if (contentLocation && !trim(*contentLocation, kSpaces).empty())
    return std::string(trim(*contentLocation, kSpaces));
  return std::string(trim(requestUrl, kSpaces));
}

std::string resolveControlUrl(std::string_view baseUrl, std::string_view control) {
  control = trim(control, kSpaces);
  if (control.empty() || control == "*") return std::string(baseUrl);
  const size_t scheme = control.find("://");
  if (scheme != std::string_view::npos && scheme > 0 &&
      control.substr(0, scheme).find_first_of("/?#") == std::string_view::npos) {
    return std::string(control);
  }
  if (control.front() == '/') {
    // scheme://authority of the base, then the absolute path.
    const size_t s = baseUrl.find("://");
    const size_t authority = s == std::string_view::npos ? 0 : s + 3;
    const size_t pathStart = baseUrl.find('/', authority);
    return std::string(baseUrl.substr(0, pathStart)) + std::string(control);
  }
  std::string out(baseUrl);
  if (out.empty() || out.back() != '/') out.push_back('/');
  out += control;
  return out;
}

}  // namespace vigil::rtsp
