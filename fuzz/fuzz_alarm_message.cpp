// One-key alarms (alarm/alarm.h): the record a node reads from a
// neighbour's outbox message ("alarm.raise" from a child, "alarm.update"
// from the parent). Whatever the bytes, nothing crashes; what decodes
// encodes back to the same record, merges into a stored one without
// breaking its rules (merging again changes nothing), and a village's
// Alarms takes it from child "house1" without an error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "alarm/alarms.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;
  using namespace vigil::alarm;
  static ManualClock clock(WallTime::fromUnixMicros(1'700'000'000'000'000));
  static link::Bus bus;
  static std::unique_ptr<link::Outbox> outbox = [] {
    auto opened = link::Outbox::open(":memory:", bus);
    if (!opened) std::abort();
    return std::move(*opened);
  }();
  static std::unique_ptr<AlarmStore> store = [] {
    auto opened = AlarmStore::open(":memory:");
    if (!opened) std::abort();
    return std::move(*opened);
  }();
  static Alarms alarms(AlarmsContext{
      .store = store.get(), .outbox = outbox.get(), .bus = &bus, .clock = &clock, .selfId = "village1"});
  const std::span<const uint8_t> bytes(data, size);
  auto a = decodeAlarm(bytes);
  if (a) {
    auto again = decodeAlarm(encode(*a));
    if (!again || !(*again == *a)) std::abort();
    Alarm ours = *a;
    ours.acknowledgedBy = "ann@village1";
    ours.acknowledgedAt = 1;
    ours.notes.clear();
    merge(ours, *a, false);
    if (ours.acknowledgedBy.empty() || merge(ours, *a, false)) std::abort();
    if (!decodeAlarm(encode(ours))) std::abort();  // still a record a neighbour takes
  }
  if (!alarms.receive(link::Peer::child("house1"), kRaiseMessage, bytes).isOk()) std::abort();
  return 0;
}
