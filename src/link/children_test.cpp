#include "link/children.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "link/test_keys.h"

namespace vigil::link {
namespace {

// A WebSocket stand-in: what the parent sends, kept for the child.
class Channel final : public FrameChannel {
 public:
  explicit Channel(boost::asio::io_context& io) : io_(io) {}
  bool send(FrameBytes frame) override {
    sent.push_back(std::move(frame));
    return true;
  }
  bool idle() const override { return true; }
  void close(uint16_t, std::string) override { closed = true; }
  boost::asio::any_io_executor executor() const override { return io_.get_executor(); }

  std::vector<FrameBytes> sent;
  bool closed = false;

 private:
  boost::asio::io_context& io_;
};

class ChildLinksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = LinkStore::open((keys_.dir() / "link.db").string());
    ASSERT_TRUE(opened);
    store_ = std::move(*opened);
    links_ = std::make_unique<ChildLinks>(*store_, parentKey_, SystemClock::instance());
    binding_.fill(7);
  }
  void TearDown() override {
    links_.reset();
    io_.run_for(std::chrono::milliseconds(10));  // what the connections posted
  }
  // Enrols house-7 with `key` through a fresh invitation (after removing
  // the one enrolled before, if any).
  void enrol(const access::NodeKey& key) {
    (void)store_->removeChild("house-7", now());
    auto invite = store_->addInvite("Zhang family", {}, std::vector<uint8_t>(32, ++invites_), now(),
                                    WallTime::fromUnixMicros(now().unixMicros() + 3'600'000'000));
    ASSERT_TRUE(invite);
    ChildRecord child{"house-7", "Zhang family", Tier::kHousehold, key.publicKey(), now(), std::nullopt};
    ASSERT_TRUE(store_->enrolChild(*invite, child, now()).isOk());
  }
  static WallTime now() { return SystemClock::instance().now(); }
  // Delivers what each side queued to the other until neither has more.
  void exchange(Session& child, ChildLinks::Connection& connection, Channel& channel) {
    for (int round = 0; round < 10; ++round) {
      bool moved = false;
      while (FrameBytes f = child.nextFrame()) {
        connection.onMessage(*f);
        moved = true;
      }
      io_.poll();
      io_.restart();
      // The channel wrote each frame at once: the connection hands it the next.
      for (size_t before = 0; before != channel.sent.size();) {
        before = channel.sent.size();
        connection.onDrained();
      }
      for (FrameBytes& f : std::exchange(channel.sent, {})) {
        (void)child.receive(*f);
        moved = true;
      }
      if (!moved) return;
    }
  }
  testing::TestKeys keys_;
  access::NodeKey parentKey_ = keys_.key("parent");
  access::NodeKey oldKey_ = keys_.key("old");
  access::NodeKey newKey_ = keys_.key("new");
  boost::asio::io_context io_;
  std::unique_ptr<LinkStore> store_;
  std::unique_ptr<ChildLinks> links_;
  ChannelBinding binding_{};
  uint8_t invites_ = 0;
};

// Removed and enrolled again with another key between two looks at link.db
// (a CLI remove and join within the watcher's half second): the old key's
// live link ends.
TEST_F(ChildLinksTest, ReEnrolmentWithAnotherKeyEndsTheOldKeysLink) {
  enrol(oldKey_);
  ASSERT_TRUE(links_->refresh().isOk());
  auto channel = std::make_shared<Channel>(io_);
  auto connection = links_->accept(channel, binding_, "192.0.2.1");
  Session child(oldKey_, parentKey_.publicKey(), "house-7", binding_, SystemClock::instance());
  exchange(child, *connection, *channel);
  ASSERT_TRUE(child.ready());
  ASSERT_EQ(links_->status().at(0).state, "connected");

  enrol(newKey_);
  ASSERT_TRUE(links_->refresh().isOk());
  exchange(child, *connection, *channel);
  ASSERT_TRUE(child.ended());
  EXPECT_EQ(child.endReason().message(), "the parent refused the link: node \"house-7\" was removed by this parent's admin");
  EXPECT_EQ(links_->status().at(0).state, "offline");
}

// The same, while the old key's handshake is under way: it proved the key
// pinned at its Hello, which is no longer the child's.
TEST_F(ChildLinksTest, AHandshakeOfAKeyReplacedMeanwhileIsRefused) {
  enrol(oldKey_);
  ASSERT_TRUE(links_->refresh().isOk());
  auto channel = std::make_shared<Channel>(io_);
  auto connection = links_->accept(channel, binding_, "192.0.2.1");
  Session child(oldKey_, parentKey_.publicKey(), "house-7", binding_, SystemClock::instance());
  connection->onMessage(*child.nextFrame());  // the Hello: the old key is looked up
  enrol(newKey_);
  ASSERT_TRUE(links_->refresh().isOk());
  exchange(child, *connection, *channel);
  EXPECT_FALSE(child.ready() && !child.ended());
  EXPECT_EQ(child.endReason().message(), "the parent refused the link: node \"house-7\" was removed by this parent's admin");
  EXPECT_EQ(links_->status().at(0).state, "offline");
}

}  // namespace
}  // namespace vigil::link
