#pragma once
// One alarm as every node it reaches keeps it (design/ALARMS.md): the
// facts fixed at the origin (id, node, kind, note, cameras, raised_at) and
// what the desks did (delivered, acknowledged, assigned, notes, closed,
// escalated). The same record is the outbox messages' body (JSON, strict,
// times in Unix ms, 0 = not yet), and merge() folds a neighbour's record
// into this node's: each field has one rule, so the nodes agree whatever
// order the records cross in (the earliest ack and close win, the latest
// assignment, notes are a union, escalation only grows).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil::alarm {

enum class Kind { kIntrusion, kFire, kMedical, kOther };
std::string_view kindName(Kind kind);
std::optional<Kind> kindFromName(std::string_view name);

enum class State { kOpen, kAcknowledged, kClosed };
std::string_view stateName(State state);
std::optional<State> stateFromName(std::string_view name);

// Bounds, so that a whole record fits one outbox message (64 KiB).
inline constexpr size_t kMaxTextChars = 500;  // note, a note's text, outcome: UTF-8 characters
inline constexpr size_t kMaxCameras = 32;
inline constexpr size_t kMaxNotes = 20;
inline constexpr size_t kMaxPathNodes = 8;
// Alarms of one household not yet closed that a desk takes: more are
// refused (and logged), so a compromised box cannot drown its village's
// desk (its neighbours' alarms stay in view and on time).
inline constexpr int64_t kMaxOpenPerHousehold = 20;
inline constexpr size_t kMaxActorBytes = 200;  // "user@node"

struct Note {
  std::string by;
  int64_t at = 0;
  std::string text;
  friend bool operator==(const Note&, const Note&) = default;
};

struct Alarm {
  std::string id;                     // 32 hex digits, random, made at the origin
  std::string node;                   // the origin node's id
  std::vector<std::string> nodePath;  // from the holder of the record down to the origin (empty at the origin)
  Kind kind = Kind::kOther;
  std::string note;
  std::vector<std::string> cameras;   // the origin's camera ids
  int64_t raisedAt = 0;               // Unix ms, the origin's clock
  int64_t deliveredAt = 0;            // when the first desk stored it (its clock)
  std::string acknowledgedBy;         // "user@node"
  int64_t acknowledgedAt = 0;
  std::string assignedTo;
  int64_t assignedAt = 0;
  std::vector<Note> notes;            // in order of time
  std::string closedBy;
  int64_t closedAt = 0;
  std::string outcome;
  std::string escalatedTo;            // the highest node it was forwarded to

  State state() const;
  friend bool operator==(const Alarm&, const Alarm&) = default;
};

// 32 lowercase hex digits.
bool isValidAlarmId(std::string_view id);
std::string newAlarmId();
// Valid UTF-8 without control characters, at most `maxChars` characters.
bool isValidText(std::string_view text, size_t maxChars);

// The objects and arrays a JSON `body` opens: its '{' and '[' outside
// strings (a note's brackets are text, not structure), counted before
// parsing so that no deep nesting reaches the parser.
size_t containersIn(std::span<const uint8_t> body);

std::vector<uint8_t> encode(const Alarm& a);
// InvalidArgument naming the field at fault.
Result<Alarm> decodeAlarm(std::span<const uint8_t> body);

// Folds `theirs` (a neighbour's record of the same id) into `ours`; the
// facts fixed at the origin are kept as they are here. `fromParent`: a
// parent's escalation is the higher one. True when `ours` changed.
bool merge(Alarm& ours, const Alarm& theirs, bool fromParent);

// What changed from `before` to `after`, one line each, for the history.
std::vector<std::string> describeChanges(const Alarm& before, const Alarm& after);

}  // namespace vigil::alarm
