#pragma once
// Depacketizers: RTP packets of one stream, in sequence order (after the
// reorder buffer for UDP), to access units.
//  - H.264, RFC 6184 non-interleaved mode: single NAL unit, STAP-A, FU-A.
//  - H.265, RFC 7798 without DONL (vigil never negotiates
//    sprop-max-don-diff > 0): single NAL unit, AP, FU.
//  - AAC, RFC 3640 AAC-hbr: AU headers, several AUs per packet, one AU
//    fragmented over several packets.
//  - G.711 A-law / µ-law (RFC 3551): the payload as is.
//
// Packets come from cameras: nothing in them may crash or stall a
// depacketizer. A sequence gap or a packet that cannot be parsed drops the
// access unit(s) it may belong to; what is dropped is counted, never
// emitted half-done. Time stays in RTP ticks: mapping to MediaTime and
// WallTime is rtp_timeline.h's job.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "media/frame.h"
#include "rtsp/rtp.h"
#include "rtsp/sdp.h"

namespace vigil::rtsp {

struct DepacketizerCounters {
  uint64_t packets = 0;             // accepted in sequence
  uint64_t packetsLost = 0;         // missing sequence numbers
  uint64_t packetsLate = 0;         // duplicates or older than the last accepted: ignored
  uint64_t packetsMalformed = 0;    // payloads that could not be parsed
  uint64_t accessUnits = 0;         // emitted
  uint64_t accessUnitsDropped = 0;  // incomplete or corrupt, not emitted
};

// One coded picture.
struct VideoAccessUnit {
  uint32_t rtpTimestamp = 0;
  bool keyframe = false;
  // params differ from those of the previous access unit emitted (new
  // SPS/PPS/VPS, e.g. a resolution change): the caller starts a new segment.
  bool parametersChanged = false;
  // Packets were lost or access units dropped since the previous access unit
  // emitted; a decoder may show artefacts until the next keyframe.
  bool afterLoss = false;
  media::Bytes data;  // NAL units, each with a 4-byte big-endian length prefix
  // Current parameter sets (from SDP and in-band); null while none is known.
  std::shared_ptr<const media::VideoParameters> params;
};

class VideoDepacketizer {
 public:
  // Access units larger than this are dropped (a 4K keyframe is ~1 MB).
  static constexpr size_t kMaxAccessUnitBytes = 8 << 20;

  // `fromSdp` may be null or hold no parameter sets; in-band ones are learnt.
  VideoDepacketizer(media::VideoCodec codec, std::shared_ptr<const media::VideoParameters> fromSdp);

  void push(const RtpPacket& packet);
  // The next complete access unit, in order.
  std::optional<VideoAccessUnit> pop();

  const DepacketizerCounters& counters() const { return counters_; }
  const std::shared_ptr<const media::VideoParameters>& parameters() const { return params_; }

 private:
  void startAccessUnit(uint32_t timestamp, bool corrupt);
  void finishAccessUnit();
  void dropAccessUnit();
  bool parseH264(ByteView payload);
  bool parseH265(ByteView payload);
  bool parseAggregate(ByteView payload, size_t headerSize);
  bool fragment(bool start, bool end, uint8_t type, ByteView header, ByteView body);
  void addNal(ByteView nal);
  void onNalComplete(size_t offset);  // the NAL whose length prefix is at `offset`
  void learnParameterSet(uint8_t type, ByteView nal);

  media::VideoCodec codec_;
  std::shared_ptr<const media::VideoParameters> params_;
  std::shared_ptr<const media::VideoParameters> lastEmittedParams_;
  bool emittedAny_ = false;
  std::optional<uint16_t> nextSequence_;
  bool afterLoss_ = false;

  // The access unit being assembled.
  bool inAccessUnit_ = false;
  uint32_t timestamp_ = 0;
  bool corrupt_ = false;
  bool keyframe_ = false;
  bool hasVcl_ = false;
  media::Bytes data_;
  size_t lastDeltaBytes_ = 0;  // of the previous non-key picture emitted
  bool inFragment_ = false;
  size_t fragmentOffset_ = 0;  // of the fragmented NAL's length prefix in data_
  uint8_t fragmentType_ = 0;
  // NAL units of an access unit without a picture (parameter sets or SEI
  // sent with their own timestamp or marker bit), put before the next one.
  media::Bytes carried_;

  std::deque<VideoAccessUnit> ready_;
  DepacketizerCounters counters_;
};

using media::AudioCodec;

struct AudioFrame {
  uint32_t rtpTimestamp = 0;
  bool afterLoss = false;  // something was lost since the previous frame
  media::Bytes data;       // one AAC access unit (raw, no ADTS) or G.711 samples
};

class AudioDepacketizer {
 public:
  // RTP timestamps advance by this per AAC access unit (AAC-LC, and the
  // rtpmap clock rate is the sampling rate).
  static constexpr uint32_t kAacSamplesPerFrame = 1024;
  static constexpr size_t kMaxFrameBytes = 64 * 1024;

  // For AAC, `aac` describes the AU headers (sizeLength 13, indexLength 3,
  // indexDeltaLength 3 for AAC-hbr); ignored for G.711.
  explicit AudioDepacketizer(AudioCodec codec, AacParameters aac = {});

  void push(const RtpPacket& packet);
  std::optional<AudioFrame> pop();
  const DepacketizerCounters& counters() const { return counters_; }

 private:
  bool parseAac(const RtpPacket& packet);
  void emit(uint32_t timestamp, ByteView data);

  AudioCodec codec_;
  AacParameters aac_;
  std::optional<uint16_t> nextSequence_;
  bool afterLoss_ = false;
  // An AAC access unit fragmented over several packets.
  bool inFragment_ = false;
  uint32_t fragmentTimestamp_ = 0;
  size_t fragmentSize_ = 0;
  media::Bytes fragment_;
  std::deque<AudioFrame> ready_;
  DepacketizerCounters counters_;
};

// The codec of an SDP media section vigil can depacketize as audio.
std::optional<AudioCodec> audioCodecOf(const SdpMedia& media);

// What a decoder needs for an SDP audio section vigil can depacketize;
// null when it cannot (another codec, an AAC config that cannot be read, an
// RTP clock that is not the sampling rate).
std::shared_ptr<const media::AudioParameters> audioParametersOf(const SdpMedia& media);

// Parameter sets of an SDP video section (sprop-*), with the picture size
// of its SPS when readable; null for non-H.264/H.265 media.
std::shared_ptr<const media::VideoParameters> videoParametersOf(const SdpMedia& media);

}  // namespace vigil::rtsp
