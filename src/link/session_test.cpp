#include "link/session.h"

#include <gtest/gtest.h>

#include "link/test_keys.h"

namespace vigil::link {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() : parentKey_(keys_.key("parent")), childKey_(keys_.key("child")), otherKey_(keys_.key("other")) {
    binding_.fill(0x42);
  }

  Session::FindChild enrolled(const access::NodeKey& key, StatusCode missing = StatusCode::kOk) {
    return [pub = key.publicKey(), missing](const std::string& id) -> Result<PinnedChild> {
      if (missing == StatusCode::kNotFound || id != "house-7") return Status::notFound(id);
      return PinnedChild{pub, missing == StatusCode::kPermissionDenied};
    };
  }
  Session parent(Session::FindChild find, const ChannelBinding& binding) {
    return Session(parentKey_, std::move(find), binding, clock_);
  }
  Session child(const access::NodeKey& own, const access::NodeKey& pinnedParent, const ChannelBinding& binding) {
    return Session(own, pinnedParent.publicKey(), "house-7", binding, clock_);
  }
  // Delivers queued frames both ways until neither has any; the first
  // failure of each side.
  std::pair<Status, Status> exchange(Session& p, Session& c) {
    Status ps, cs;
    for (int round = 0; round < 10 && (p.hasFrames() || c.hasFrames()); ++round) {
      while (FrameBytes f = c.nextFrame()) {
        if (Status s = p.receive(*f); !s.isOk() && ps.isOk()) ps = s;
      }
      while (FrameBytes f = p.nextFrame()) {
        if (Status s = c.receive(*f); !s.isOk() && cs.isOk()) cs = s;
      }
    }
    return {ps, cs};
  }

  testing::TestKeys keys_;
  access::NodeKey parentKey_, childKey_, otherKey_;
  ChannelBinding binding_{};
  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
};

TEST_F(SessionTest, PinnedKeysOnBothSidesMakeALink) {
  Session p = parent(enrolled(childKey_), binding_);
  Session c = child(childKey_, parentKey_, binding_);
  auto [ps, cs] = exchange(p, c);
  EXPECT_TRUE(ps.isOk()) << ps.toString();
  EXPECT_TRUE(cs.isOk()) << cs.toString();
  EXPECT_TRUE(p.ready());
  EXPECT_TRUE(c.ready());
  EXPECT_EQ(p.childId(), "house-7");
  EXPECT_GT(p.traffic().bytesIn, 0u);
  EXPECT_EQ(p.traffic().bytesIn, c.traffic().bytesOut);
}

TEST_F(SessionTest, AChildWithAnotherKeyIsRefused) {
  Session p = parent(enrolled(childKey_), binding_);
  Session c = child(otherKey_, parentKey_, binding_);  // claims house-7 with a key not pinned for it
  auto [ps, cs] = exchange(p, c);
  EXPECT_FALSE(p.ready());
  EXPECT_EQ(cs.code(), StatusCode::kUnauthenticated) << cs.toString();
  EXPECT_EQ(cs.message(),
            "the parent refused the link: node \"house-7\": its proof matches no key enrolled here (an unknown node, or another key)");
}

TEST_F(SessionTest, AParentWithAnotherKeyIsRefused) {
  Session p(otherKey_, enrolled(childKey_), binding_, clock_);  // an impostor at the parent's address
  Session c = child(childKey_, parentKey_, binding_);
  auto [ps, cs] = exchange(p, c);
  EXPECT_FALSE(c.ready());
  EXPECT_FALSE(p.ready());  // the child never sent its proof
  EXPECT_EQ(cs.message(),
            "the parent's proof does not match its key pinned at enrolment (another server at this address?)");
  EXPECT_EQ(ps.code(), StatusCode::kUnauthenticated);
}

TEST_F(SessionTest, AProofRelayedFromAnotherTlsConnectionFails) {
  // A relay in the middle has two TLS connections, so two bindings: the
  // child's proof, made for its own connection, is worthless on the
  // relay's connection to the parent.
  ChannelBinding childSide = binding_;
  childSide[0] ^= 1;
  Session p = parent(enrolled(childKey_), binding_);
  Session c = child(childKey_, parentKey_, childSide);
  auto [ps, cs] = exchange(p, c);
  EXPECT_FALSE(p.ready());
  EXPECT_FALSE(c.ready());
  EXPECT_FALSE(cs.isOk());  // the parent's proof is bound to the other connection too
}

TEST_F(SessionTest, AReplayedAuthFailsAgainstAFreshNonce) {
  Session p1 = parent(enrolled(childKey_), binding_);
  Session c1 = child(childKey_, parentKey_, binding_);
  // Capture the child's Hello and, after the challenge, its Auth.
  FrameBytes hello = c1.nextFrame();
  ASSERT_TRUE(p1.receive(*hello).isOk());
  ASSERT_TRUE(c1.receive(*p1.nextFrame()).isOk());
  FrameBytes auth = c1.nextFrame();
  // Replayed to a new session (same binding even): the parent's nonce differs.
  Session p2 = parent(enrolled(childKey_), binding_);
  ASSERT_TRUE(p2.receive(*hello).isOk());
  Status s = p2.receive(*auth);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_FALSE(p2.ready());
  // The same Auth is fine where it belongs.
  EXPECT_TRUE(p1.receive(*auth).isOk());
  EXPECT_TRUE(p1.ready());
}

TEST_F(SessionTest, OnlyTheRemovedChildItselfLearnsThatItWasRemoved) {
  Session p = parent(enrolled(childKey_, StatusCode::kPermissionDenied), binding_);
  Session c = child(childKey_, parentKey_, binding_);
  auto [ps, cs] = exchange(p, c);
  EXPECT_EQ(cs.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(cs.message(), "the parent refused the link: node \"house-7\" was removed by this parent's admin");

  // A stranger without the key hears the same, step by step, whether the
  // id is removed, unknown or enrolled: a Challenge, then after its Auth
  // the same refusal.
  std::vector<std::string> heard;
  for (StatusCode state : {StatusCode::kPermissionDenied, StatusCode::kNotFound, StatusCode::kOk}) {
    Session p2 = parent(enrolled(childKey_, state), binding_);
    Session stranger = child(otherKey_, parentKey_, binding_);
    EXPECT_TRUE(p2.receive(*stranger.nextFrame()).isOk());  // Hello
    ASSERT_EQ(decodeFrame(*p2.nextFrame())->kind, Kind::kChallenge);
    EXPECT_FALSE(p2.hasFrames());  // no refusal before the Auth
    EXPECT_FALSE(p2.ended());
    Status s = p2.receive(encodeFrame(Kind::kAuth, 0, encode(Auth{})));
    EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
    const FrameBytes refuse = p2.nextFrame();
    ASSERT_TRUE(refuse);
    heard.emplace_back(refuse->begin(), refuse->end());
  }
  EXPECT_EQ(heard[0], heard[1]);
  EXPECT_EQ(heard[1], heard[2]);
  auto refuse = decodeRefuse(decodeFrame(std::span(reinterpret_cast<const uint8_t*>(heard[0].data()), heard[0].size()))->payload);
  EXPECT_EQ(refuse->code, RefuseCode::kBadProof);
  EXPECT_EQ(refuse->reason, "node \"house-7\": its proof matches no key enrolled here (an unknown node, or another key)");
}

TEST_F(SessionTest, ARefusalBeforeTheParentsProofIsMarkedUnverified) {
  Session c = child(childKey_, parentKey_, binding_);
  Status s = c.receive(encodeFrame(Kind::kRefuse, 0, encode(Refuse{RefuseCode::kRemoved, "you were removed"})));
  EXPECT_EQ(s.message(),
            "the server at the parent's address (before proving its key) refused the link: you were removed");
}

TEST_F(SessionTest, MessagesOutOfOrderEndTheHandshake) {
  Session p = parent(enrolled(childKey_), binding_);
  Status s = p.receive(encodeFrame(Kind::kAuth, 0, encode(Auth{})));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unexpected message during the handshake");
  auto refuse = decodeRefuse(decodeFrame(*p.nextFrame())->payload);
  ASSERT_TRUE(refuse);
  EXPECT_EQ(refuse->code, RefuseCode::kProtocol);
  EXPECT_EQ(p.receive(encodeFrame(Kind::kHello, 0, encode(Hello{"house-7", {}}))).message(), s.message());  // stays ended
}

TEST_F(SessionTest, HandshakeTimesOut) {
  Session p = parent(enrolled(childKey_), binding_);
  EXPECT_TRUE(p.tick().isOk());
  clock_.advance(seconds(10));
  EXPECT_EQ(p.tick().code(), StatusCode::kDeadlineExceeded);
}

TEST_F(SessionTest, PingsMeasureRoundTripAndSilenceEndsTheLink) {
  Session p = parent(enrolled(childKey_), binding_);
  Session c = child(childKey_, parentKey_, binding_);
  exchange(p, c);
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c.deadline(), clock_.steadyNow());  // the first ping at once
  ASSERT_TRUE(c.tick().isOk());
  ASSERT_TRUE(p.receive(*c.nextFrame()).isOk());
  ASSERT_TRUE(c.receive(*p.nextFrame()).isOk());  // its pong
  EXPECT_EQ(c.deadline(), clock_.steadyNow() + seconds(10));
  clock_.advance(seconds(10));
  ASSERT_TRUE(c.tick().isOk());  // the next ping
  FrameBytes ping = c.nextFrame();
  ASSERT_TRUE(p.receive(*ping).isOk());
  clock_.advance(milliseconds(25));
  ASSERT_TRUE(c.receive(*p.nextFrame()).isOk());  // the pong
  ASSERT_TRUE(c.traffic().rttMs);
  EXPECT_DOUBLE_EQ(*c.traffic().rttMs, 25.0);
  // The parent hears nothing more for 30 s.
  clock_.advance(seconds(29));
  EXPECT_TRUE(p.tick().isOk());
  clock_.advance(seconds(1));
  Status s = p.tick();
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(s.message(), "nothing heard from the peer for 30 s");
}

TEST_F(SessionTest, MessagesAfterTheHandshakeGoToTheHandlerAndItsRefusalEndsTheLink) {
  Session p = parent(enrolled(childKey_), binding_);
  Session c = child(childKey_, parentKey_, binding_);
  std::vector<Frame> got;
  p.setMessageHandler([&](Frame f) -> Status {
    if (f.kind == Kind::kLookOpen) return Status::invalidArgument("not from a child");
    got.push_back(std::move(f));
    return Status::ok();
  });
  const std::vector<uint8_t> body{1, 2, 3};
  EXPECT_FALSE(c.send(Kind::kCatalog, 0, body));  // not before the handshake
  exchange(p, c);
  ASSERT_TRUE(c.send(Kind::kCatalog, 0, body));
  ASSERT_TRUE(c.send(Kind::kData, 9, body));
  auto [ps, cs] = exchange(p, c);
  ASSERT_TRUE(ps.isOk()) << ps.toString();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].kind, Kind::kCatalog);
  EXPECT_EQ(got[1].kind, Kind::kData);
  EXPECT_EQ(got[1].channel, 9u);
  EXPECT_EQ(got[1].payload, body);

  ASSERT_TRUE(c.send(Kind::kLookOpen, 0, body));
  std::tie(ps, cs) = exchange(p, c);
  EXPECT_EQ(ps.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cs.message(), "the parent refused the link: not from a child");
}

TEST_F(SessionTest, AHandshakeMessageAfterTheHandshakeEndsTheLink) {
  Session p = parent(enrolled(childKey_), binding_);
  Session c = child(childKey_, parentKey_, binding_);
  exchange(p, c);
  ASSERT_TRUE(p.ready());
  EXPECT_EQ(p.receive(encodeFrame(Kind::kHello, 0, encode(Hello{"house-7", Nonce{}}))).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::link
