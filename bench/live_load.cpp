// vigil-live-load: opens N live WebSockets (GET /api/v1/cameras/{id}/live)
// and measures, for every frame testcam sent after the socket opened, the
// latency from the send time testcam wrote into the frame's SEI
// (media/send_time_sei.h) to the arrival of its fragment here, and for every socket the time from opening the connection
// to its first fragment. Not a test: a load generator for bench/live.py.
//
//   vigil-live-load --token T --viewers 50 --seconds 20 ws://127.0.0.1:8080/api/v1/cameras/cam-1/live [more]
//   (wss:// for a node serving HTTPS: a parent tier)
//
// Viewers open evenly over --ramp seconds (default 0: all at once), are
// spread over the URLs round-robin and over two event loops.
// Prints one JSON object: sockets, fragments, bytes, and p50/p95/p99/max of
// both times in milliseconds.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <utility>  // before Asio: awaitable.hpp uses std::exchange
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/event_loops.h"
#include "base/time.h"
#include "media/send_time_sei.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

namespace {

struct Results {
  std::mutex mutex;
  std::vector<double> latencyMs;
  std::vector<double> firstFragmentMs;
  uint64_t fragments = 0;
  uint64_t bytes = 0;
  int sockets = 0;
  int failed = 0;
};

// The send times of the SEIs in an fMP4 fragment's mdat.
std::vector<vigil::WallTime> sendTimes(const beast::flat_buffer& message, vigil::media::VideoCodec codec) {
  std::vector<vigil::WallTime> out;
  const auto* data = static_cast<const uint8_t*>(message.data().data());
  const size_t size = message.data().size();
  size_t pos = 0;
  while (pos + 8 <= size) {
    const uint32_t boxSize = uint32_t{data[pos]} << 24 | uint32_t{data[pos + 1]} << 16 | uint32_t{data[pos + 2]} << 8 |
                             data[pos + 3];
    if (boxSize < 8 || pos + boxSize > size) break;
    if (std::string_view(reinterpret_cast<const char*>(data + pos + 4), 4) == "mdat") {
      for (vigil::media::ByteView nal : vigil::media::splitLengthPrefixed({data + pos + 8, boxSize - 8})) {
        if (auto t = vigil::media::parseSendTimeSei(codec, nal)) out.push_back(*t);
      }
    }
    pos += boxSize;
  }
  return out;
}

// A viewer's connection once open: the WebSocket handshake, then
// fragments until `end`. Plain or TLS alike.
template <class Socket>
asio::awaitable<void> watch(Socket& ws, const std::string& hostPort, const std::string& target,
                            const std::string& token, std::chrono::steady_clock::time_point opened,
                            std::chrono::steady_clock::time_point end, Results& results) {
  beast::get_lowest_layer(ws).expires_never();
  ws.set_option(beast::websocket::stream_base::decorator([token](beast::websocket::request_type& req) {
    req.set(beast::http::field::authorization, "Bearer " + token);
  }));
  ws.read_message_max(64 << 20);
  co_await ws.async_handshake(hostPort, target, asio::use_awaitable);
  // The first fragments replay the cached GOP: frames sent before this
  // viewer came. Their age is not latency (the open-to-first-fragment time
  // covers them); latency counts frames testcam sent from now on.
  const vigil::WallTime subscribed = vigil::SystemClock::instance().now();
  {
    std::lock_guard lock(results.mutex);
    ++results.sockets;
  }
  vigil::media::VideoCodec codec = vigil::media::VideoCodec::kH264;
  bool first = true;
  std::vector<double> latencies;
  uint64_t fragments = 0, bytes = 0;
  beast::flat_buffer buffer;
  while (std::chrono::steady_clock::now() < end) {
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
    co_await ws.async_read(buffer, asio::use_awaitable);
    const auto now = vigil::SystemClock::instance().now();
    bytes += buffer.size();
    if (ws.got_text()) {
      const std::string text = beast::buffers_to_string(buffer.data());
      codec = text.find("hvc1") != std::string::npos ? vigil::media::VideoCodec::kH265
                                                     : vigil::media::VideoCodec::kH264;
    } else if (buffer.size() >= 8 &&
               std::string_view(static_cast<const char*>(buffer.data().data()) + 4, 4) == "moof") {
      ++fragments;
      if (first) {
        first = false;
        std::lock_guard lock(results.mutex);
        results.firstFragmentMs.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - opened).count());
      }
      for (vigil::WallTime sent : sendTimes(buffer, codec)) {
        if (sent < subscribed) continue;
        latencies.push_back(static_cast<double>((now - sent).count()) / 1000.0);
      }
    }
    buffer.consume(buffer.size());
  }
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(2));
  co_await ws.async_close(beast::websocket::close_code::normal, asio::use_awaitable);
  std::lock_guard lock(results.mutex);
  results.latencyMs.insert(results.latencyMs.end(), latencies.begin(), latencies.end());
  results.fragments += fragments;
  results.bytes += bytes;
}

// `tls` set: wss:// (a parent node serves HTTPS; its certificate is
// self-signed, as on a real node, and not checked).
asio::awaitable<void> viewer(std::string host, std::string port, std::string target, std::string token,
                             std::chrono::steady_clock::time_point start, std::chrono::steady_clock::time_point end,
                             Results& results, asio::ssl::context* tls) {
  try {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer wait(executor, start);
    co_await wait.async_wait(asio::use_awaitable);
    const auto opened = std::chrono::steady_clock::now();
    // A numeric address: no resolver thread shared by every viewer.
    const tcp::endpoint endpoint(asio::ip::make_address(host), static_cast<uint16_t>(std::stoi(port)));
    if (tls) {
      beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(executor, *tls);
      co_await beast::get_lowest_layer(ws).async_connect(endpoint, asio::use_awaitable);
      co_await ws.next_layer().async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
      co_await watch(ws, host + ":" + port, target, token, opened, end, results);
    } else {
      beast::websocket::stream<beast::tcp_stream> ws(executor);
      co_await beast::get_lowest_layer(ws).async_connect(endpoint, asio::use_awaitable);
      co_await watch(ws, host + ":" + port, target, token, opened, end, results);
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(results.mutex);
    if (++results.failed <= 3) std::fprintf(stderr, "vigil-live-load: %s: %s\n", target.c_str(), e.what());
  }
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

std::string summary(const std::vector<double>& v) {
  return fmt::format(R"({{"n": {}, "p50": {:.2f}, "p95": {:.2f}, "p99": {:.2f}, "max": {:.2f}}})", v.size(),
                     percentile(v, 0.50), percentile(v, 0.95), percentile(v, 0.99),
                     v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()));
}

}  // namespace

int main(int argc, char** argv) {
  int viewers = 1;
  int seconds = 10;
  double rampSeconds = 0;  // viewers open evenly over this long (0: all at once)
  std::string token;
  std::vector<std::string> urls;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--viewers" && i + 1 < argc) viewers = std::atoi(argv[++i]);
    else if (arg == "--seconds" && i + 1 < argc) seconds = std::atoi(argv[++i]);
    else if (arg == "--token" && i + 1 < argc) token = argv[++i];
    else if (arg == "--ramp" && i + 1 < argc) rampSeconds = std::atof(argv[++i]);
    else if (arg.starts_with("ws://") || arg.starts_with("wss://")) urls.push_back(arg);
    else {
      std::fprintf(stderr, "usage: vigil-live-load --token T [--viewers N] [--seconds S] [--ramp S] ws[s]://HOST:PORT/PATH...\n");
      return 2;
    }
  }
  if (urls.empty() || viewers < 1 || seconds < 1 || rampSeconds < 0 || rampSeconds >= seconds) {
    std::fprintf(stderr, "vigil-live-load: need at least one ws:// or wss:// URL, --viewers >= 1, --seconds >= 1, "
                         "0 <= --ramp < --seconds\n");
    return 2;
  }
  Results results;
  const auto begin = std::chrono::steady_clock::now();
  const auto end = begin + std::chrono::seconds(seconds);
  vigil::EventLoopPool loops(2);
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_none);
  for (int i = 0; i < viewers; ++i) {
    const auto start = begin + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(rampSeconds * i / viewers));
    const std::string& url = urls[static_cast<size_t>(i) % urls.size()];
    const bool secure = url.starts_with("wss://");
    const std::string rest = url.substr(secure ? 6 : 5);
    const size_t slash = rest.find('/');
    const std::string authority = rest.substr(0, slash);
    const size_t colon = authority.rfind(':');
    asio::co_spawn(loops.next(),
                   viewer(authority.substr(0, colon), authority.substr(colon + 1), rest.substr(slash), token, start,
                          end, results, secure ? &tls : nullptr),
                   asio::detached);
  }
  loops.start();
  std::this_thread::sleep_until(end + std::chrono::seconds(4));
  loops.stop();
  loops.join();
  std::lock_guard lock(results.mutex);
  fmt::print(R"({{"viewers": {}, "sockets": {}, "failed": {}, "fragments": {}, "bytes": {}, "latency_ms": {}, )"
             R"("first_fragment_ms": {}}})"
             "\n",
             viewers, results.sockets, results.failed, results.fragments, results.bytes, summary(results.latencyMs),
             summary(results.firstFragmentMs));
  return results.failed == 0 ? 0 : 1;
}
