#include "http/camera_routes.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "access/crypto.h"
#include "base/encoding.h"

namespace vigil::http {

namespace {

std::string escapeHtml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// The public shell: a login form that posts to /api/v1/login (same origin,
// so the browser sends a matching Origin) and then opens the status page.
constexpr std::string_view kLoginStyle =
    "body{font-family:sans-serif;margin:1.5em}input{display:block;margin:.3em 0 .8em}";
constexpr std::string_view kLoginScript = R"js(
document.getElementById("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const r = await fetch("/api/v1/login", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({user: f.get("user"), password: f.get("password")})});
  if (r.ok) location.href = "/status";
  else document.getElementById("error").textContent = (await r.json()).error;
});
)js";
constexpr std::string_view kStatusStyle =
    "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.on{color:#070}.off{color:#a00}";

std::string loginPage() {
  return fmt::format(R"html(<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>vigil</title>
<style>{}</style></head>
<body><h1>vigil</h1><form id="login"><label>User<input name="user" autocomplete="username" required></label>
<label>Password<input name="password" type="password" autocomplete="current-password" required></label>
<button>Log in</button> <span id="error"></span></form>
<script>{}</script></body></html>
)html",
                     kLoginStyle, kLoginScript);
}

// 'sha256-<base64>': a CSP source that allows exactly this inline text.
std::string cspHash(std::string_view text) {
  return fmt::format("'sha256-{}'", base64Encode(access::sha256(text)));
}

// These two pages carry their style (and the login page its script)
// inline, which the server's default policy forbids: they name it by hash.
std::string inlinePagePolicy(std::string_view style, std::string_view script) {
  return fmt::format(
      "default-src 'none'; style-src {}; script-src {}; connect-src 'self'; form-action 'self'; base-uri 'none'; "
      "frame-ancestors 'none'",
      cspHash(style), script.empty() ? "'none'" : cspHash(script));
}

// The cameras of the list the request's user may see.
template <typename Camera>
std::vector<Camera> visibleTo(const CameraGate& gate, const Request& req, std::vector<Camera> cameras) {
  std::erase_if(cameras, [&](const Camera& c) { return !gate.visible(*req.principal, c.id); });
  return cameras;
}

}  // namespace

std::string camerasJson(const std::vector<camera::CameraStatus>& cameras,
                        const std::vector<link::RemoteCamera>& remote) {
  nlohmann::json list = nlohmann::json::array();
  for (const camera::CameraStatus& c : cameras) {
    nlohmann::json j = {
        {"id", c.id},
        {"name", c.name},
        {"online", c.state == camera::CameraState::kStreaming},
        {"state", camera::cameraStateName(c.state)},
        {"codec", c.codec ? nlohmann::json(media::codecName(*c.codec)) : nlohmann::json(nullptr)},
        {"audio", c.audio ? nlohmann::json(media::audioCodecName(c.audio->codec)) : nlohmann::json(nullptr)},
        {"width", c.width},
        {"height", c.height},
        {"fps", c.fps},
        {"bitrate_kbps", c.bitrateKbps},
        {"reconnects", c.reconnects},
        {"packets_lost", c.packetsLost},
        {"last_frame_at", c.lastFrameAt ? nlohmann::json(c.lastFrameAt->toRfc3339()) : nlohmann::json(nullptr)},
    };
    if (!c.reason.empty()) j["reason"] = c.reason;
    // For people: "offline since 14:02: wrong password", "never connected".
    if (c.reasonCode != camera::ReasonCode::kNone) j["reason_code"] = camera::reasonCodeName(c.reasonCode);
    j["since"] = c.since ? nlohmann::json(c.since->toRfc3339()) : nlohmann::json(nullptr);
    j["ever_streamed"] = c.everStreamed;
    if (!c.managedBy.empty()) j["managed_by"] = c.managedBy;
    if (c.detecting) {
      j["detect"] = {{"frames_analysed", c.detectFramesAnalysed},
                     {"frames_dropped", c.detectFramesDropped},
                     {"stream", c.detectStream}};
    }
    // The sub stream's own state: it never makes the camera offline.
    if (c.sub) {
      j["sub"] = {{"state", camera::cameraStateName(c.sub->state)},
                  {"codec", c.sub->codec ? nlohmann::json(media::codecName(*c.sub->codec)) : nlohmann::json(nullptr)},
                  {"width", c.sub->width},
                  {"height", c.sub->height},
                  {"fps", c.sub->fps}};
      if (!c.sub->reason.empty()) j["sub"]["reason"] = c.sub->reason;
    }
    list.push_back(std::move(j));
  }
  for (const link::RemoteCamera& c : remote) {
    nlohmann::json rights = nlohmann::json::array();
    for (const auto& [tier, set] : c.entry.rights) {
      for (access::ShareRight r : set) rights.push_back(access::shareRightName(r));
    }
    list.push_back({
        {"id", c.id},
        {"name", c.entry.name},
        {"remote", true},
        {"node_path", c.nodePath},
        {"owner", c.entry.owner},
        {"rights", std::move(rights)},
        {"online", c.entry.state == camera::cameraStateName(camera::CameraState::kStreaming)},
        {"state", c.entry.state},
        {"codec", c.entry.codec.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.entry.codec)},
        {"audio", c.entry.audio.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.entry.audio)},
        {"width", c.entry.width},
        {"height", c.entry.height},
    });
  }
  return list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string statusPageHtml(std::string_view nodeName, const std::vector<camera::CameraStatus>& cameras) {
  std::string rows;
  for (const camera::CameraStatus& c : cameras) {
    rows += fmt::format(
        "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}x{}</td><td>{:.1f}</td>"
        "<td>{:.0f}</td><td>{}</td><td>{}</td></tr>\n",
        escapeHtml(c.id), escapeHtml(c.name), c.state == camera::CameraState::kStreaming ? "on" : "off",
        escapeHtml(std::string(camera::cameraStateName(c.state)) + (c.reason.empty() ? "" : ": " + c.reason)),
        c.codec ? media::codecName(*c.codec) : "-", c.width, c.height, c.fps, c.bitrateKbps, c.reconnects,
        c.lastFrameAt ? c.lastFrameAt->toRfc3339() : "-");
  }
  return fmt::format(
      "<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"2\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>vigil — {0}</title>"
      "<style>{2}</style></head><body><h1>vigil — {0}</h1><p>Node status, refreshed every 2 s. Live view and playback are "
      "in the <a href=\"/\">web UI</a>; the camera list is also at <code>/api/v1/cameras</code>.</p>"
      "<table><tr><th>id</th><th>name</th><th>state</th><th>codec</th><th>size</th><th>fps</th>"
      "<th>kbit/s</th><th>reconnects</th><th>last frame (UTC)</th></tr>\n{1}</table></body></html>\n",
      escapeHtml(nodeName), rows, kStatusStyle);
}

void addCameraRoutes(HttpServer& server, std::string nodeName, CameraStatusSource cameras,
                     RemoteCameraSource remote) {
  server.route("GET", "/healthz", Access::kPublic, [](const Request&) {
    Response r;
    r.contentType = "text/plain; charset=utf-8";
    r.body = "ok\n";
    return r;
  });
  // Each user sees the cameras their role or grants allow (viewers: theirs);
  // of the nodes below, the catalog holds only what this tier may see.
  auto visible = [cameras, &gate = server.cameraGate()](const Request& req) {
    return visibleTo(gate, req, cameras());
  };
  server.route("GET", "/api/v1/cameras", Access::kUser,
               [visible, remote, &gate = server.cameraGate()](const Request& req) {
                 std::vector<link::RemoteCamera> below;
                 if (remote) below = visibleTo(gate, req, remote());
                 return Response::json(200, camerasJson(visible(req), below));
               });
  server.route("GET", "/status", Access::kUser, [visible, nodeName](const Request& req) {
    Response r;
    r.contentType = "text/html; charset=utf-8";
    r.body = statusPageHtml(nodeName, visible(req));
    static const std::string policy = inlinePagePolicy(kStatusStyle, "");
    r.headers.emplace_back("Content-Security-Policy", policy);
    return r;
  });
  // The built web UI, when the server has one, is the public shell;
  // without it, this login form is.
  if (server.servesStaticFiles()) return;
  server.route("GET", "/", Access::kPublic, [](const Request&) {
    Response r;
    r.contentType = "text/html; charset=utf-8";
    r.body = loginPage();
    static const std::string policy = inlinePagePolicy(kLoginStyle, kLoginScript);
    r.headers.emplace_back("Content-Security-Policy", policy);
    return r;
  });
}

}  // namespace vigil::http
