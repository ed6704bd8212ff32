// The RTSP client against vigil's own RTSP server, in one process. Tests
// against servers nobody here wrote (GStreamer, VLC) live in tests/.
#include "rtsp/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <condition_variable>
#include <future>

#include "base/event_loops.h"
#include "rtsp/message.h"
#include "rtsp/testing/synthetic_stream.h"

namespace vigil::rtsp {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class Recorder : public RtspClientObserver {
 public:
  void onPlaying(const PlayingStream& s) override {
    std::lock_guard lock(mutex_);
    playing_ = s;
    cv_.notify_all();
  }
  void onFrame(media::Frame frame, bool) override {
    std::lock_guard lock(mutex_);
    frames_.push_back(std::move(frame));
    cv_.notify_all();
  }
  void onStopped(const Status& reason) override {
    std::lock_guard lock(mutex_);
    stopped_ = reason;
    ++stops_;
    cv_.notify_all();
  }
  bool waitFrames(size_t n, std::chrono::seconds timeout = 20s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return frames_.size() >= n; });
  }
  std::optional<Status> waitStopped(std::chrono::seconds timeout = 20s) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return stopped_.has_value(); });
    return stopped_;
  }
  std::vector<media::Frame> frames() {
    std::lock_guard lock(mutex_);
    return frames_;
  }
  std::optional<PlayingStream> playing() {
    std::lock_guard lock(mutex_);
    return playing_;
  }
  int stops() {
    std::lock_guard lock(mutex_);
    return stops_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<media::Frame> frames_;
  std::optional<PlayingStream> playing_;
  std::optional<Status> stopped_;
  int stops_ = 0;
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<RtspServer>(
        loops_, std::make_shared<testing::SingleStreamCatalog>(testing::makeSyntheticH264()));
    ASSERT_TRUE(server_->listen({"127.0.0.1", 0}).isOk());
    loops_.start();
  }
  void TearDown() override {
    if (client_) runOnLoop([&] { client_->stop(); });
    server_->stop();
    loops_.stop();
    loops_.join();
  }
  std::string url(std::string_view path = "/cam/0") {
    return "rtsp://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  void startClient(RtspClientOptions options) {
    runOnLoop([&] {
      client_ = std::make_unique<RtspClient>(loops_.loop(1), options, &recorder_);
      client_->start();
    });
  }
  template <typename F>
  void runOnLoop(F f) {
    std::promise<void> done;
    boost::asio::post(loops_.loop(1), [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  EventLoopPool loops_{2};
  std::unique_ptr<RtspServer> server_;
  Recorder recorder_;
  std::unique_ptr<RtspClient> client_;
};

void expectWellFormedFrames(const std::vector<media::Frame>& frames) {
  ASSERT_FALSE(frames.empty());
  EXPECT_TRUE(frames.front().keyframe);
  for (size_t i = 0; i < frames.size(); ++i) {
    ASSERT_TRUE(frames[i].params);
    EXPECT_EQ(frames[i].params->width, 1280);
    EXPECT_EQ(frames[i].params->height, 720);
    EXPECT_FALSE(media::splitLengthPrefixed(frames[i].data).empty());
    if (i > 0) EXPECT_EQ((frames[i].pts - frames[i - 1].pts).ticks(), 3600) << i;
  }
}

TEST_F(ClientTest, PlaysOverTcp) {
  startClient({.url = url()});
  ASSERT_TRUE(recorder_.waitFrames(30));
  expectWellFormedFrames(recorder_.frames());
  EXPECT_TRUE(recorder_.playing()->tcp);
  EXPECT_EQ(server_->stats().sessionsPlaying, 1u);
}

TEST_F(ClientTest, PlaysOverUdp) {
  startClient({.url = url(), .transport = RtspTransport::kUdp});
  ASSERT_TRUE(recorder_.waitFrames(30));
  expectWellFormedFrames(recorder_.frames());
  EXPECT_FALSE(recorder_.playing()->tcp);
}

TEST_F(ClientTest, StopSendsTeardownAndEndsCallbacks) {
  startClient({.url = url()});
  ASSERT_TRUE(recorder_.waitFrames(5));
  runOnLoop([&] { client_->stop(); });
  for (int i = 0; i < 1000 && server_->stats().sessionsPlaying != 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(server_->stats().sessionsPlaying, 0u);
  const size_t frames = recorder_.frames().size();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(recorder_.frames().size(), frames);
  EXPECT_EQ(recorder_.stops(), 0);
}

TEST_F(ClientTest, UnknownPathStopsWith404) {
  startClient({.url = url("/cam/7")});
  auto reason = recorder_.waitStopped();
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(reason->code(), StatusCode::kNotFound);
  EXPECT_THAT(reason->message(), HasSubstr("404"));
}

TEST_F(ClientTest, RefusedConnectionStops) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe.local_endpoint().port();
  probe.close();  // nothing listens there now
  startClient({.url = "rtsp://127.0.0.1:" + std::to_string(port) + "/x"});
  auto reason = recorder_.waitStopped();
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(reason->code(), StatusCode::kUnavailable);
  EXPECT_THAT(reason->message(), HasSubstr("cannot connect"));
}

TEST_F(ClientTest, SilentServerTimesOut) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = silent.local_endpoint().port();  // accepts (backlog) but never answers
  startClient({.url = "rtsp://127.0.0.1:" + std::to_string(port) + "/x", .requestTimeout = 500ms});
  auto reason = recorder_.waitStopped();
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(reason->code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(reason->message(), HasSubstr("no answer to OPTIONS"));
}

// A camera that moved: answers OPTIONS, then redirects DESCRIBE (a scripted
// peer, since no RTSP server here redirects on request).
TEST_F(ClientTest, FollowsRedirects) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor old(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::string oldUrl = "rtsp://127.0.0.1:" + std::to_string(old.local_endpoint().port()) + "/old";
  std::thread peer([&] {
    boost::asio::ip::tcp::socket s(io);
    boost::system::error_code ec;
    old.accept(s, ec);
    RtspSplitter splitter;
    std::array<uint8_t, 4096> buf;
    for (bool redirected = false; !redirected && !ec;) {
      const size_t n = s.read_some(boost::asio::buffer(buf), ec);
      splitter.append(ByteView(buf.data(), n));
      while (splitter.next() == RtspSplitter::Item::kMessage) {
        const RtspMessage& m = splitter.message();
        RtspMessage r = RtspMessage::response(m.method == "DESCRIBE" ? 301 : 200,
                                              m.method == "DESCRIBE" ? "Moved Permanently" : "OK", m.cseq());
        if (m.method == "DESCRIBE") {
          r.headers.emplace_back("Location", url());
          redirected = true;
        }
        boost::asio::write(s, boost::asio::buffer(r.serialize()), ec);
      }
    }
  });
  startClient({.url = oldUrl});
  EXPECT_TRUE(recorder_.waitFrames(10));
  peer.join();
}

TEST_F(ClientTest, BadUrlStopsAtOnceWithoutLeakingCredentials) {
  startClient({.url = "rtsp://admin:hunter2@"});
  auto reason = recorder_.waitStopped();
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(reason->code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(reason->message(), ::testing::Not(HasSubstr("hunter2")));
}

}  // namespace
}  // namespace vigil::rtsp
