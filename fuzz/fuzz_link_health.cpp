// Health up the tiers (link/health_messages.h): the bodies a parent reads
// from each child's outbox messages, decoded as changes and as a summary,
// then kept by a village's store (link/health_store.h) as they came from
// child "house1": whatever the bytes, nothing crashes, what decodes
// encodes back to the same message, the store's rates stay in 0..1, and
// the summary this node would send up with house1 below it decodes at its
// own parent (design/UPTIME.md, "Overview").
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "link/health_store.h"
#include "link/overview.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;
  using namespace vigil::link;
  static ManualClock clock(WallTime::fromUnixMicros(1'700'000'000'000'000));
  static std::unique_ptr<HealthStore> store = [] {
    auto opened = HealthStore::open(":memory:", clock, {});
    if (!opened) std::abort();
    return std::move(*opened);
  }();
  const std::span<const uint8_t> bytes(data, size);
  if (auto m = decodeHealthChanges(bytes)) {
    auto again = decodeHealthChanges(encode(*m));
    if (!again || *again != *m) std::abort();
    if (!store->addChanges("house1", *m).isOk()) std::abort();
  }
  if (auto m = decodeHealthSummary(bytes)) {
    auto again = decodeHealthSummary(encode(*m));
    if (!again || *again != *m) std::abort();
    if (!store->addSummary("house1", *m).isOk()) std::abort();
  }
  HealthSummary up{.at = clock.now(), .camerasTotal = 1};
  addNodesBelow(up, nodesBelow({{.id = "house1", .name = "House 1", .state = "connected"}}, store->summaries()));
  if (up.below.size() <= kMaxNodesBelow && !decodeHealthSummary(encode(up))) std::abort();
  auto reported = store->reportedCameras(clock.now());
  if (!reported) std::abort();
  for (const ReportedCamera& c : *reported) {
    for (const OnlineTime& t : {c.week, c.month}) {
      if (t.rate && (*t.rate < 0 || *t.rate > 1)) std::abort();
    }
  }
  auto history = store->history("house1", WallTime::fromUnixMicros(0), clock.now());
  if (!history) std::abort();
  for (const CameraHealthHistory& c : *history) {
    if (c.time.rate && (*c.time.rate < 0 || *c.time.rate > 1)) std::abort();
  }
  return 0;
}
