// The client against the simulator, in process: every call, the digest,
// discovery on loopback, and a hostile device (design/ONVIF.md
// invariants 5-8).

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "onvif/client.h"
#include "onvif/discovery.h"
#include "onvif/simulator.h"
#include "onvif/soap.h"

namespace vigil::onvif {
namespace {

namespace asio = boost::asio;

class SimulatorFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    SimulatorOptions options;
    options.discovery = HostPort{"127.0.0.1", 0};
    options.password = "secret";
    options.rtspPort = 8554;
    options.main = {.path = "/cam/0", .encoding = "H264", .width = 1280, .height = 720};
    options.sub = SimulatedStream{.path = "/cam/0/sub", .encoding = "H264", .width = 640, .height = 360};
    simulator_ = std::make_unique<DeviceSimulator>(io_, options);
    ASSERT_TRUE(simulator_->start().isOk());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    simulator_->stop();
    thread_.join();
  }
  OnvifClient client(std::string password = "secret") {
    return OnvifClient(simulator_->deviceServiceUrl(), {"admin", std::move(password)}, std::chrono::seconds(5));
  }

  asio::io_context io_;
  std::unique_ptr<DeviceSimulator> simulator_;
  std::thread thread_;
};

TEST_F(SimulatorFixture, DescribesTheDeviceMainProfileFirst) {
  auto c = client();
  auto summary = describeDevice(c);
  ASSERT_TRUE(summary.isOk()) << summary.status().message();
  EXPECT_EQ(summary->info.manufacturer, "vigil");
  EXPECT_EQ(summary->info.model, "vigil testcam");
  ASSERT_EQ(summary->profiles.size(), 2u);
  EXPECT_EQ(summary->profiles[0].profile.token, "main");
  EXPECT_EQ(summary->profiles[0].streamUri, "rtsp://127.0.0.1:8554/cam/0");
  EXPECT_EQ(summary->profiles[1].streamUri, "rtsp://127.0.0.1:8554/cam/0/sub");
  EXPECT_NE(summary->profiles[0].snapshotUri.find("/snapshot/main.jpg"), std::string::npos);
  EXPECT_TRUE(summary->profiles[0].profile.ptz);
  EXPECT_NE(summary->services.ptz.find("/onvif/ptz_service"), std::string::npos);
}

TEST_F(SimulatorFixture, WrongPasswordIsSaidSo) {
  auto c = client("wrong");
  auto info = c.deviceInformation();
  ASSERT_FALSE(info.isOk());
  EXPECT_EQ(info.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(info.status().message().find("wrong user name or password"), std::string::npos);
}

TEST_F(SimulatorFixture, PtzCallsArriveWithTheirBodies) {
  auto c = client();
  ASSERT_TRUE(c.continuousMove("main", {.pan = 0.5, .tilt = -0.25, .zoom = 0}).isOk());
  ASSERT_TRUE(c.stop("main").isOk());
  auto token = c.setPreset("main", "gate");
  ASSERT_TRUE(token.isOk()) << token.status().message();
  ASSERT_TRUE(c.gotoPreset("main", *token).isOk());
  auto presets = c.presets("main");
  ASSERT_TRUE(presets.isOk());
  ASSERT_EQ(presets->size(), 1u);
  EXPECT_EQ((*presets)[0].name, "gate");
  EXPECT_EQ(c.gotoPreset("main", "nosuch").code(), StatusCode::kFailedPrecondition);

  const auto calls = simulator_->ptzCalls();
  ASSERT_GE(calls.size(), 5u);
  EXPECT_EQ(calls[0].call, "ContinuousMove");
  EXPECT_EQ(calls[0].profile, "main");
  EXPECT_NE(calls[0].body.find(R"(x="0.500" y="-0.250")"), std::string::npos) << calls[0].body;
  EXPECT_EQ(calls[1].call, "Stop");
  EXPECT_EQ(calls[2].call, "SetPreset");
  EXPECT_NE(calls[2].body.find("gate"), std::string::npos);
  EXPECT_EQ(calls[3].call, "GotoPreset");
  EXPECT_NE(calls[3].body.find(*token), std::string::npos);
}

TEST_F(SimulatorFixture, DiscoveryFindsTheSimulatorOnce) {
  auto found = discover({.target = {"127.0.0.1", simulator_->discoveryPort()},
                         .timeout = std::chrono::milliseconds(500)});
  ASSERT_TRUE(found.isOk()) << found.status().message();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].xaddrs, std::vector<std::string>{simulator_->deviceServiceUrl()});
  EXPECT_EQ((*found)[0].endpointReference.rfind("urn:uuid:", 0), 0u);
}

TEST(OnvifClient, UnreachableDeviceIsUnavailable) {
  OnvifClient c("http://127.0.0.1:1/onvif/device_service", {"admin", "x"}, std::chrono::seconds(2));
  auto info = c.deviceInformation();
  ASSERT_FALSE(info.isOk());
  EXPECT_EQ(info.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(OnvifClient("https://h/", {}, std::chrono::seconds(1)).deviceInformation().isOk());
}

// A device that answers one request with `answer`, whatever it was asked.
class HostileDevice {
 public:
  explicit HostileDevice(std::string answer) : answer_(std::move(answer)) {
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    thread_ = std::thread([this] {
      asio::ip::tcp::socket socket(io_);
      acceptor_.accept(socket);
      std::string request;
      char chunk[4096];
      boost::system::error_code ec;
      while (request.find("</s:Envelope>") == std::string::npos && !ec) {
        request.append(chunk, socket.read_some(asio::buffer(chunk), ec));
      }
      asio::write(socket, asio::buffer(answer_), ec);
    });
  }
  ~HostileDevice() { thread_.join(); }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/onvif/device_service";
  }

 private:
  std::string answer_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  std::thread thread_;
};

std::string httpAnswer(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

TEST(OnvifClient, HostileAnswersAreClearErrors) {
  const std::string xxe =
      R"(<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>)"
      R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x>&xxe;</x></s:Body></s:Envelope>)";
  const std::string huge = "<s:Envelope><s:Body>" + std::string(2 * kMaxSoapBytes, 'x') + "</s:Body></s:Envelope>";
  const std::pair<std::string, std::string> cases[] = {
      {httpAnswer(xxe), "DOCTYPE"},
      {httpAnswer(huge), "larger than"},
      {httpAnswer("<html>not soap"), "not XML"},
  };
  for (const auto& [answer, says] : cases) {
    HostileDevice device(answer);
    OnvifClient c(device.url(), {"admin", "x"}, std::chrono::seconds(5));
    auto info = c.deviceInformation();
    ASSERT_FALSE(info.isOk()) << says;
    EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument) << info.status().message();
    EXPECT_NE(info.status().message().find(says), std::string::npos) << info.status().message();
  }
}

}  // namespace
}  // namespace vigil::onvif
