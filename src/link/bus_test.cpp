#include "link/bus.h"

#include <gtest/gtest.h>

namespace vigil::link {
namespace {

struct RecordingEndpoint : Endpoint {
  bool post(Kind kind, uint32_t channel, std::vector<uint8_t> payload) override {
    sent.push_back(Frame{kind, channel, std::move(payload)});
    return true;
  }
  std::vector<Frame> sent;
};

TEST(BusTest, EachKindIsTakenOnlyFromTheDirectionThatMaySendIt) {
  Bus bus;
  std::vector<std::string> seen;
  bus.handleFromChildren(Kind::kCatalog, [&](const Peer& from, Frame) {
    seen.push_back("catalog from " + from.childId);
    return Status::ok();
  });
  bus.handleFromParent(Kind::kLookOpen, [&](const Peer& from, Frame) {
    seen.push_back(from.parent ? "open from parent" : "open from a child");
    return Status::ok();
  });
  EXPECT_TRUE(bus.deliver(Peer::child("house7"), Frame{Kind::kCatalog, 0, {}}).isOk());
  EXPECT_TRUE(bus.deliver(Peer::theParent(), Frame{Kind::kLookOpen, 0, {}}).isOk());
  EXPECT_EQ(bus.deliver(Peer::child("house7"), Frame{Kind::kLookOpen, 0, {}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bus.deliver(Peer::theParent(), Frame{Kind::kCatalog, 0, {}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(seen, (std::vector<std::string>{"catalog from house7", "open from parent"}));
}

TEST(BusTest, SendsGoToTheAttachedConnectionAndAStaleDetachChangesNothing) {
  Bus bus;
  std::vector<std::string> changes;
  bus.watchLinks([&](const Peer& p, bool up) { changes.push_back(p.childId + (up ? " up" : " down")); });
  auto first = std::make_shared<RecordingEndpoint>();
  auto second = std::make_shared<RecordingEndpoint>();
  EXPECT_FALSE(bus.send(Peer::child("v1"), Kind::kLookOpen, 0, {1}));
  bus.attach(Peer::child("v1"), first);
  bus.attach(Peer::child("v1"), second);  // a reconnection replaced the first
  bus.detach(Peer::child("v1"), first.get());  // the first one's close, late
  EXPECT_TRUE(bus.connected(Peer::child("v1")));
  EXPECT_TRUE(bus.send(Peer::child("v1"), Kind::kLookOpen, 0, {1}));
  EXPECT_TRUE(first->sent.empty());
  EXPECT_EQ(second->sent.size(), 1u);
  bus.detach(Peer::child("v1"), second.get());
  EXPECT_FALSE(bus.connected(Peer::child("v1")));
  EXPECT_FALSE(bus.connected(Peer::theParent()));
  EXPECT_EQ(changes, (std::vector<std::string>{"v1 up", "v1 up", "v1 down"}));
}

}  // namespace
}  // namespace vigil::link
