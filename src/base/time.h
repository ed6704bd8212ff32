#pragma once
// Two clocks that must never be mixed (design/GLOSSARY.md):
//  - WallTime: UTC, microseconds since the Unix epoch. What people, the API
//    (RFC 3339) and the recording index speak.
//  - MediaTime: ticks of a stream's 90 kHz media clock (RTP video clock) with
//    an arbitrary origin. What frame durations and pts are made of.
// They are distinct types with no conversion between them; a mapping between
// the two (from RTCP sender reports or arrival time) is explicit code.

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil {

class WallTime {
 public:
  constexpr WallTime() = default;
  static constexpr WallTime fromUnixMicros(int64_t us) { return WallTime(us); }
  constexpr int64_t unixMicros() const { return micros_; }

  // "2026-11-22T21:40:01.123456Z" (microseconds kept only when non-zero,
  // milliseconds when they suffice).
  std::string toRfc3339() const;
  // Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)".
  static Result<WallTime> parseRfc3339(std::string_view text);

  // 64-bit NTP timestamp (RFC 3550 RTCP sender reports).
  uint64_t toNtp() const;
  static WallTime fromNtp(uint64_t ntp);

  friend constexpr auto operator<=>(WallTime, WallTime) = default;
  friend constexpr std::chrono::microseconds operator-(WallTime a, WallTime b) {
    return std::chrono::microseconds(a.micros_ - b.micros_);
  }
  friend constexpr WallTime operator+(WallTime a, std::chrono::microseconds d) {
    return WallTime(a.micros_ + d.count());
  }

 private:
  constexpr explicit WallTime(int64_t us) : micros_(us) {}
  int64_t micros_ = 0;
};

class MediaDuration {
 public:
  static constexpr int64_t kTicksPerSecond = 90000;
  constexpr MediaDuration() = default;
  constexpr explicit MediaDuration(int64_t ticks) : ticks_(ticks) {}
  constexpr int64_t ticks() const { return ticks_; }
  constexpr double seconds() const { return static_cast<double>(ticks_) / kTicksPerSecond; }
  friend constexpr auto operator<=>(MediaDuration, MediaDuration) = default;
  friend constexpr MediaDuration operator+(MediaDuration a, MediaDuration b) { return MediaDuration(a.ticks_ + b.ticks_); }
  friend constexpr MediaDuration operator-(MediaDuration a, MediaDuration b) { return MediaDuration(a.ticks_ - b.ticks_); }

 private:
  int64_t ticks_ = 0;
};

class MediaTime {
 public:
  constexpr MediaTime() = default;
  constexpr explicit MediaTime(int64_t ticks) : ticks_(ticks) {}
  constexpr int64_t ticks() const { return ticks_; }
  friend constexpr auto operator<=>(MediaTime, MediaTime) = default;
  friend constexpr MediaDuration operator-(MediaTime a, MediaTime b) { return MediaDuration(a.ticks_ - b.ticks_); }
  friend constexpr MediaTime operator+(MediaTime a, MediaDuration d) { return MediaTime(a.ticks_ + d.ticks()); }

 private:
  int64_t ticks_ = 0;
};

// The source of "now", injected so tests can make time jump.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime now() const = 0;
  virtual std::chrono::steady_clock::time_point steadyNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime now() const override;
  std::chrono::steady_clock::time_point steadyNow() const override;
  static const SystemClock& instance();
};

// A clock that moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime start) : wall_(start) {}
  WallTime now() const override { return wall_; }
  std::chrono::steady_clock::time_point steadyNow() const override { return steady_; }
  void advance(std::chrono::microseconds d) {
    wall_ = wall_ + d;
    steady_ += d;
  }
  void setWall(WallTime t) { wall_ = t; }  // a wall-clock jump; steady time is unaffected

 private:
  WallTime wall_;
  std::chrono::steady_clock::time_point steady_{};
};

}  // namespace vigil
