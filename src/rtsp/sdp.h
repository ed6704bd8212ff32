#pragma once
// SDP (RFC 4566) as cameras send it in DESCRIBE responses, reduced to what
// an RTSP client needs to SET UP and depacketize each stream: media type,
// payload type, encoding, clock rate, control URL, and the codec parameters
// of fmtp (RFC 6184 / 7798 parameter sets, RFC 3640 AAC).
//
// The parser is lenient by design: real cameras send LF-only lines, trailing
// spaces, missing v=/o=/s= lines, unknown attributes, fmtp for another
// payload type and garbage in sprop sets. Anything not understood is
// skipped; parsing fails only when no media section could be read at all.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "media/h26x.h"

namespace vigil::rtsp {

// RFC 3640 parameters of an "mpeg4-generic" stream. Only AAC-hbr style
// streams (AU headers of sizeLength + indexLength bits) are described here.
struct AacParameters {
  media::Bytes audioSpecificConfig;  // fmtp "config", hex-decoded
  std::string mode;                  // "AAC-hbr", "AAC-lbr", ...
  int sizeLength = 0;
  int indexLength = 0;
  int indexDeltaLength = 0;
  int constantSize = 0;  // fmtp "constantsize": AU size when there are no AU headers
  // From audioSpecificConfig when it could be read, else 0.
  int sampleRate = 0;
  int channels = 0;
};

struct SdpMedia {
  std::string type;  // "video", "audio", "application", ... (lower case)
  uint16_t port = 0;
  std::string protocol;  // "RTP/AVP", "RTP/AVP/TCP", ...
  // The first format of the m= line: the one vigil sets up. rtpmap and fmtp
  // lines for other formats are ignored.
  int payloadType = -1;
  std::string encodingName;  // upper case: "H264", "H265", "MPEG4-GENERIC", "PCMU", "PCMA"
  uint32_t clockRate = 0;    // from rtpmap, or the static table of RFC 3551
  int channels = 0;          // audio: from rtpmap, else 1
  // fmtp parameters of the payload type; keys lower case, values as sent.
  std::map<std::string, std::string> fmtp;
  std::string control;              // a=control, as sent (may be relative, absolute or "*")
  std::optional<double> framerate;  // a=framerate
  std::string connectionAddress;    // c= of the media, else of the session

  // Decoded from fmtp: parameter sets (without start codes) and the codec.
  std::optional<media::VideoCodec> videoCodec;  // set for H264 / H265
  std::vector<media::Bytes> vps, sps, pps;
  std::optional<AacParameters> aac;  // set for MPEG4-GENERIC audio
};

struct SessionDescription {
  std::string sessionName;           // s=
  std::string control;               // session-level a=control (aggregate URL), as sent
  std::string connectionAddress;     // session-level c=
  std::optional<std::string> range;  // a=range, as sent
  std::vector<SdpMedia> media;
};

// InvalidArgument only when the text holds no parseable m= line.
Result<SessionDescription> parseSdp(std::string_view text);

// The URL that relative control URLs are resolved against (RFC 2326 C.1.1):
// Content-Base if present and non-empty, else Content-Location, else the
// request URL of DESCRIBE.
std::string controlBaseUrl(std::optional<std::string_view> contentBase,
                           std::optional<std::string_view> contentLocation,
                           std::string_view requestUrl);

// Resolves a control attribute against the base URL:
//  - "" or "*": the base itself;
//  - absolute ("rtsp://...", any "scheme://"): as is;
//  - "/path": the base's scheme and authority with that path;
//  - else appended after a '/' (what cameras expect, even when the base has a
//    query: "rtsp://h/cam?channel=1/" + "trackID=0"), as FFmpeg and live555 do.
std::string resolveControlUrl(std::string_view baseUrl, std::string_view control);

}  // namespace vigil::rtsp
