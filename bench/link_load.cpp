// vigil-link-load: many household links to one parent from one process,
// for bench/link.py's idle-links figure (memory and CPU per link at the
// parent). Not a test: a load generator.
//
//   vigil-link-load enrol --parent-data DIR --keys DIR --count N
//       enrols households h0..h(N-1) in the parent's link.db (as if each had
//       joined with an invitation) and keeps their keys in --keys
//   vigil-link-load run --parent-data DIR --parent https://HOST:PORT --parent-id ID --keys DIR --count N
//                       --seconds S
//       dials the parent as those households and keeps the links up for S
//       seconds; prints one JSON object: links connected, seconds until all were
//
// The parent's data directory gives its public key (node.key), as the
// invitation's code would give it to a real household.
#include <fmt/format.h>
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "access/node_key.h"
#include "base/event_loops.h"
#include "base/time.h"
#include "link/link_store.h"
#include "link/parent_link.h"

namespace {

using vigil::SystemClock;
namespace link = vigil::link;

std::string childId(int i) { return fmt::format("h{}", i); }

int fail(const std::string& what) {
  std::fprintf(stderr, "vigil-link-load: %s\n", what.c_str());
  return 1;
}

int enrol(const std::filesystem::path& parentData, const std::filesystem::path& keys, int count) {
  std::filesystem::create_directories(parentData);
  std::filesystem::create_directories(keys);
  auto store = link::LinkStore::open((parentData / "link.db").string());
  if (!store) return fail(store.status().toString());
  const vigil::WallTime now = SystemClock::instance().now();
  for (int i = 0; i < count; ++i) {
    auto key = vigil::access::NodeKey::loadOrCreate(keys / (childId(i) + ".key"));
    if (!key) return fail(key.status().toString());
    // A hash no code matches: the invitation is used at once below.
    std::vector<uint8_t> hash(32);
    randombytes_buf(hash.data(), hash.size());
    auto invite = (*store)->addInvite(childId(i), {vigil::Tier::kHousehold, childId(i)}, hash, now,
                                      now + std::chrono::hours(1));
    if (!invite) return fail(invite.status().toString());
    link::ChildRecord child{childId(i), childId(i), vigil::Tier::kHousehold, key->publicKey(), now, std::nullopt};
    if (auto s = (*store)->enrolChild(*invite, child, now); !s.isOk()) return fail(s.toString());
  }
  return 0;
}

int run(const std::filesystem::path& parentData, const std::string& url, const std::string& parentId,
        const std::filesystem::path& keys, int count, int seconds) {
  auto parentKey = vigil::access::NodeKey::load(parentData / "node.key");
  if (!parentKey) return fail(parentKey.status().toString());
  const link::ParentRecord parent{url, parentId, parentId, vigil::Tier::kVillage, parentKey->publicKey(),
                                  SystemClock::instance().now()};
  std::vector<vigil::access::NodeKey> childKeys;
  childKeys.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    auto key = vigil::access::NodeKey::load(keys / (childId(i) + ".key"));
    if (!key) return fail(key.status().toString());
    childKeys.push_back(std::move(*key));
  }
  vigil::EventLoopPool loops(1);
  std::vector<std::shared_ptr<link::ParentLink>> links;
  for (int i = 0; i < count; ++i) {
    links.push_back(std::make_shared<link::ParentLink>(loops.next(), childKeys[static_cast<size_t>(i)], parent,
                                                       childId(i), SystemClock::instance()));
    links.back()->start();
  }
  loops.start();
  const auto begin = std::chrono::steady_clock::now();
  const auto end = begin + std::chrono::seconds(seconds);
  double allUpSeconds = -1;
  int connected = 0;
  while (std::chrono::steady_clock::now() < end) {
    connected = 0;
    for (const auto& l : links) connected += l->status().state == "connected";
    if (connected == count && allUpSeconds < 0) {
      allUpSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
      // The line bench/link.py waits for before it measures the idle links.
      std::fprintf(stderr, "vigil-link-load: all %d links up\n", count);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (auto& l : links) l->stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  loops.stop();
  loops.join();
  fmt::print(R"({{"links": {}, "connected": {}, "all_up_seconds": {:.2f}}})"
             "\n",
             count, connected, allUpSeconds);
  return connected == count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return fail("libsodium did not start");
  std::string mode = argc > 1 ? argv[1] : "";
  std::string parentData, keys, url, parentId;
  int count = 0, seconds = 30;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string arg = argv[i], value = argv[i + 1];
    if (arg == "--parent-data") parentData = value;
    else if (arg == "--keys") keys = value;
    else if (arg == "--parent") url = value;
    else if (arg == "--parent-id") parentId = value;
    else if (arg == "--count") count = std::atoi(value.c_str());
    else if (arg == "--seconds") seconds = std::atoi(value.c_str());
    else return fail("unknown argument " + arg);
  }
  if (parentData.empty() || keys.empty() || count < 1) return fail("need --parent-data, --keys and --count >= 1");
  if (mode == "enrol") return enrol(parentData, keys, count);
  if (mode == "run" && !url.empty() && !parentId.empty() && seconds >= 1)
    return run(parentData, url, parentId, keys, count, seconds);
  return fail("usage: vigil-link-load enrol|run ... (see bench/link_load.cpp)");
}
