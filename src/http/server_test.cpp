// The server's routing and transport, through handle() and over real
// sockets.
#include "http/server.h"

#include <gtest/gtest.h>

namespace vigil::http {
namespace {

Response echoParams(const Request& req) {
  std::string body = req.method;
  for (const auto& [k, v] : req.params) body += " " + k + "=" + v;
  Response r;
  r.contentType = "text/plain";
  r.body = body;
  return r;
}

Request get(std::string path, std::string method = "GET") {
  Request req;
  req.method = std::move(method);
  req.path = std::move(path);
  return req;
}

class RoutingTest : public ::testing::Test {
 protected:
  EventLoopPool loops_{1};
  HttpServer server_{loops_, {}};
};

TEST_F(RoutingTest, PatternsFillParamsAndLiteralSegmentsWin) {
  server_.route("GET", "/api/v1/cameras/{id}/export.mp4", Access::kPublic, echoParams);
  server_.route("GET", "/api/v1/cameras/{id}", Access::kPublic, echoParams);
  server_.route("GET", "/api/v1/cameras/new", Access::kPublic, echoParams);
  server_.route("POST", "/api/v1/cameras/{id}", Access::kPublic, echoParams);
  server_.route("GET", "/a/{x}/{y}", Access::kPublic, echoParams);
  server_.route("GET", "/", Access::kPublic, echoParams);

  EXPECT_EQ(server_.handle(get("/api/v1/cameras/gate/export.mp4")).body, "GET id=gate");
  EXPECT_EQ(server_.handle(get("/api/v1/cameras/yard")).body, "GET id=yard");
  EXPECT_EQ(server_.handle(get("/api/v1/cameras/new")).body, "GET");  // the literal route, registered after
  EXPECT_EQ(server_.handle(get("/api/v1/cameras/new", "POST")).body, "POST id=new");
  EXPECT_EQ(server_.handle(get("/a/1/2")).body, "GET x=1 y=2");
  EXPECT_EQ(server_.handle(get("/")).body, "GET");

  EXPECT_EQ(server_.handle(get("/api/v1/cameras/gate", "DELETE")).status, 405);
  EXPECT_EQ(server_.handle(get("/api/v1/cameras/gate/export.mp4", "POST")).status, 405);
  EXPECT_EQ(server_.handle(get("/api/v1/cameras//export.mp4")).status, 404);  // a parameter is never empty
  EXPECT_EQ(server_.handle(get("/api/v1/cameras/gate/")).status, 404);
  EXPECT_EQ(server_.handle(get("/api/v1/cameras/gate/export.mp4/x")).status, 404);
  EXPECT_EQ(server_.handle(get("/a/1")).status, 404);
  EXPECT_EQ(server_.handle(get("")).status, 404);
  EXPECT_EQ(server_.handle(get("*")).status, 404);
}

TEST_F(RoutingTest, MalformedPatternsAreRefusedAtRegistration) {
  for (const char* bad : {"", "relative", "/a/{id", "/a/x{id}", "/a/{}", "/a/{id}/{id}", "/a/{i{d}"}) {
    EXPECT_THROW(server_.route("GET", bad, Access::kPublic, echoParams), std::invalid_argument) << bad;
  }
  EXPECT_TRUE(server_.routes().empty());
}

}  // namespace
}  // namespace vigil::http
