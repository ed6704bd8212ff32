// vigil-rtsp-load: opens N RTSP sessions (RTP over TCP) to one or more URLs
// and drains them, to load an RTSP server. Prints one JSON line per second
// with the bytes and sessions so far. Not a test: a load generator for
// bench/ scripts.
//
//   vigil-rtsp-load --sessions 1000 --seconds 30 rtsp://127.0.0.1:8554/cam/0 [more URLs...]
//
// Sessions are spread over the URLs round-robin, and over two event loops.
#include <fmt/format.h>

#include <atomic>
#include <utility>  // before Asio: awaitable.hpp uses std::exchange
#include <boost/asio/read.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "base/event_loops.h"
#include "rtsp/sdp.h"
#include "rtsp/url.h"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::atomic<uint64_t> gBytes{0};
std::atomic<int> gPlaying{0};
std::atomic<int> gFailed{0};

// Sends one request and reads its answer; returns the status code and the
// value of header `want` (e.g. "Session"), and the body in `body`.
asio::awaitable<std::pair<int, std::string>> exchange(tcp::socket& s, asio::streambuf& in, const std::string& req,
                                                      const std::string& want, std::string* body = nullptr) {
  co_await asio::async_write(s, asio::buffer(req), asio::use_awaitable);
  const size_t n = co_await asio::async_read_until(s, in, "\r\n\r\n", asio::use_awaitable);
  std::string head(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n));
  in.consume(n);
  int status = std::atoi(head.c_str() + 9);
  std::string value;
  size_t length = 0;
  for (size_t pos = 0; (pos = head.find("\r\n", pos)) != std::string::npos;) {
    pos += 2;
    const size_t colon = head.find(':', pos);
    const size_t end = head.find("\r\n", pos);
    if (colon == std::string::npos || end == std::string::npos || colon > end) continue;
    const std::string name = head.substr(pos, colon - pos);
    std::string v = head.substr(colon + 1, end - colon - 1);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    if (name == want) value = v;
    if (name == "Content-Length") length = std::stoul(v);
  }
  if (length > 0) {
    if (in.size() < length) {
      co_await asio::async_read(s, in, asio::transfer_exactly(length - in.size()), asio::use_awaitable);
    }
    if (body) body->assign(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(length));
    in.consume(length);
  }
  co_return std::pair{status, value};
}

asio::awaitable<void> session(std::string url, std::chrono::steady_clock::time_point end) {
  auto parsed = vigil::rtsp::parseRtspUrl(url);
  auto executor = co_await asio::this_coro::executor;
  tcp::socket s(executor);
  try {
    tcp::resolver resolver(executor);
    auto endpoints = co_await resolver.async_resolve(parsed->host, std::to_string(parsed->port), asio::use_awaitable);
    co_await asio::async_connect(s, endpoints, asio::use_awaitable);
    asio::streambuf in;
    const std::string u = parsed->withoutCredentials();
    std::string sdpText;
    auto [st1, base] = co_await exchange(
        s, in, fmt::format("DESCRIBE {} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n", u), "Content-Base",
        &sdpText);
    auto sdp = vigil::rtsp::parseSdp(sdpText);
    if (st1 != 200 || !sdp || sdp->media.empty()) throw std::runtime_error("no SDP");
    const std::string track = vigil::rtsp::resolveControlUrl(
        vigil::rtsp::controlBaseUrl(base.empty() ? std::nullopt : std::optional<std::string_view>(base), std::nullopt, u),
        sdp->media.front().control);
    auto [st2, sess] = co_await exchange(
        s, in, fmt::format("SETUP {} RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n", track),
        "Session");
    sess = sess.substr(0, sess.find(';'));
    auto [st3, unused2] = co_await exchange(s, in, fmt::format("PLAY {} RTSP/1.0\r\nCSeq: 3\r\nSession: {}\r\n\r\n", u, sess), "");
    if (st1 != 200 || st2 != 200 || st3 != 200) throw std::runtime_error("refused");
    ++gPlaying;
    gBytes += in.size();
    std::vector<char> buf(256 * 1024);
    while (std::chrono::steady_clock::now() < end) {
      gBytes += co_await s.async_read_some(asio::buffer(buf), asio::use_awaitable);
    }
    --gPlaying;
  } catch (const std::exception&) {
    ++gFailed;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int sessions = 100, seconds = 30;
  std::vector<std::string> urls;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--sessions" && i + 1 < argc) sessions = std::atoi(argv[++i]);
    else if (a == "--seconds" && i + 1 < argc) seconds = std::atoi(argv[++i]);
    else urls.push_back(a);
  }
  if (urls.empty() || sessions < 1 || seconds < 1) {
    std::fprintf(stderr, "usage: vigil-rtsp-load --sessions N --seconds S URL...\n");
    return 2;
  }
  vigil::EventLoopPool loops(2);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (int i = 0; i < sessions; ++i) {
    asio::co_spawn(loops.next(), session(urls[static_cast<size_t>(i) % urls.size()], end), asio::detached);
  }
  loops.start();
  const auto start = std::chrono::steady_clock::now();
  uint64_t last = 0;
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const uint64_t bytes = gBytes.load();
    std::printf("{\"t\":%.1f,\"playing\":%d,\"failed\":%d,\"bytes\":%llu,\"mbit_per_s\":%.1f}\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), gPlaying.load(),
                gFailed.load(), static_cast<unsigned long long>(bytes), static_cast<double>(bytes - last) * 8 / 1e6);
    std::fflush(stdout);
    last = bytes;
  }
  loops.stop();
  loops.join();
  return gFailed.load() == 0 ? 0 : 1;
}
