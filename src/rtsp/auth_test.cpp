#include "rtsp/auth.h"

#include <gtest/gtest.h>

#include "rtsp/url.h"

namespace vigil::rtsp {
namespace {

TEST(Digest, Rfc2617Md5Example) {
  auto c = parseChallenge(
      "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->qopAuth);
  Authenticator auth("Mufasa", "Circle Of Life");
  auth.setChallenge(*c);
  auth.setClientNonceForTest("0a4f113b");
  const std::string value = auth.authorization("GET", "/dir/index.html");
  EXPECT_NE(value.find("response=\"6629fae49393a05397450978507c4ef1\""), std::string::npos) << value;
  EXPECT_NE(value.find("nc=00000001"), std::string::npos);
  EXPECT_NE(value.find("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""), std::string::npos);
  // The nonce count goes up with each request.
  EXPECT_NE(auth.authorization("GET", "/dir/index.html").find("nc=00000002"), std::string::npos);
}

TEST(Digest, Rfc7616Sha256Example) {
  auto c = parseChallenge(
      "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, "
      "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
      "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->algorithm, "SHA-256");
  Authenticator auth("Mufasa", "Circle of Life");
  auth.setChallenge(*c);
  auth.setClientNonceForTest("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
  const std::string value = auth.authorization("GET", "/dir/index.html");
  EXPECT_NE(value.find("response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""),
            std::string::npos)
      << value;
  EXPECT_NE(value.find("algorithm=SHA-256"), std::string::npos);
}

TEST(Digest, NoQopUsesTheRfc2069Form) {
  Authenticator auth("admin", "12345");
  auth.setChallenge(*parseChallenge("Digest realm=\"IP Camera\", nonce=\"abc\""));
  const std::string value = auth.authorization("DESCRIBE", "rtsp://10.0.0.2/h264");
  EXPECT_EQ(value.find("qop"), std::string::npos);
  EXPECT_NE(value.find("uri=\"rtsp://10.0.0.2/h264\""), std::string::npos);
}

TEST(Challenge, PicksTheStrongest) {
  auto c = strongestChallenge({"Basic realm=\"x\"", "Digest realm=\"x\", nonce=\"n\"",
                               "Digest realm=\"x\", nonce=\"n\", algorithm=SHA-256", "Bearer"});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->algorithm, "SHA-256");
  EXPECT_EQ(strongestChallenge({"Basic realm=\"cam\""})->scheme, "Basic");
  EXPECT_FALSE(strongestChallenge({"Negotiate abc", "Digest realm=\"x\""}).has_value());  // no nonce
}

TEST(Basic, EncodesCredentials) {
  Authenticator auth("Aladdin", "open sesame");
  auth.setChallenge(*parseChallenge("Basic realm=\"WallyWorld\""));
  EXPECT_EQ(auth.authorization("DESCRIBE", "rtsp://h/"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST(RtspUrl, SplitsCredentialsOff) {
  auto u = parseRtspUrl("rtsp://ad%40min:p%3Ass@192.0.2.5:8554/Streaming/Channels/101?transportmode=unicast");
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->username, "ad@min");
  EXPECT_EQ(u->password, "p:ss");
  EXPECT_EQ(u->host, "192.0.2.5");
  EXPECT_EQ(u->port, 8554);
  EXPECT_EQ(u->withoutCredentials(), "rtsp://192.0.2.5:8554/Streaming/Channels/101?transportmode=unicast");
  EXPECT_EQ(parseRtspUrl("rtsp://[::1]/x")->host, "::1");
  EXPECT_EQ(parseRtspUrl("rtsp://cam")->withoutCredentials(), "rtsp://cam/");
  for (const char* bad : {"http://h/", "rtsp://", "rtsp://h:0/", "rtsp://h:99999/", "rtsp://[::1/"}) {
    EXPECT_FALSE(parseRtspUrl(bad).isOk()) << bad;
  }
  auto bad = parseRtspUrl("rtsp://user:secret@h:99999/");
  EXPECT_EQ(bad.status().message().find("secret"), std::string::npos);
}

TEST(RtspUrl, UserinfoEndsAtTheLastAt) {
  // A password as people type it: '/', '@' and ':' unescaped.
  auto u = parseRtspUrl("rtsp://u2:P4ss/Sl@sh:%41@192.0.2.5:8554/x?y=1");
  ASSERT_TRUE(u.isOk()) << u.status().toString();
  EXPECT_EQ(u->username, "u2");
  EXPECT_EQ(u->password, "P4ss/Sl@sh:A");
  EXPECT_EQ(u->hostPort(), "192.0.2.5:8554");
  EXPECT_EQ(u->withoutCredentials(), "rtsp://192.0.2.5:8554/x?y=1");
  // The price: an '@' in a path is read as the end of a userinfo.
  EXPECT_EQ(parseRtspUrl("rtsp://h/x@y")->host, "y");
  EXPECT_EQ(parseRtspUrl("rtsp://h/x%40y")->pathAndQuery, "/x%40y");
}

TEST(RtspUrl, SameOriginIsHostAndPort) {
  const RtspUrl cam = *parseRtspUrl("rtsp://u:p@Cam.example/main");
  EXPECT_TRUE(cam.sameOrigin(*parseRtspUrl("rtsp://cam.EXAMPLE:554/other")));
  EXPECT_FALSE(cam.sameOrigin(*parseRtspUrl("rtsp://cam.example:8554/main")));
  EXPECT_FALSE(cam.sameOrigin(*parseRtspUrl("rtsp://192.0.2.5/main")));  // names are not resolved
  EXPECT_EQ(parseRtspUrl("rtsp://[::1]/x")->hostPort(), "[::1]:554");
}

}  // namespace
}  // namespace vigil::rtsp
