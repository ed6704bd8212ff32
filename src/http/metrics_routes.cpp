#include "http/metrics_routes.h"

#include <fmt/format.h>

namespace vigil::http {

namespace {

// A label value with \, " and newline escaped, as the text format wants.
std::string label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// One metric family: its HELP and TYPE lines, then a sample per call.
class Family {
 public:
  Family(std::string& out, std::string_view name, std::string_view type, std::string_view help)
      : out_(out), name_(name) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(std::string_view labels, double value) {
    out_ += fmt::format("{}{{{}}} {}\n", name_, labels, value);
  }

 private:
  std::string& out_;
  std::string_view name_;
};

void cameraMetrics(std::string& out, const std::vector<camera::CameraStatus>& cameras) {
  struct Gauge {
    const char* name;
    const char* type;
    const char* help;
    double (*value)(const camera::CameraStatus&);
  };
  static const Gauge kGauges[] = {
      {"vigil_camera_up", "gauge", "1 while the camera streams",
       [](const camera::CameraStatus& c) { return c.state == camera::CameraState::kStreaming ? 1.0 : 0.0; }},
      {"vigil_camera_frames_per_second", "gauge", "frames per second over the last few seconds",
       [](const camera::CameraStatus& c) { return c.fps; }},
      {"vigil_camera_video_bytes_per_second", "gauge", "video bytes per second over the last few seconds",
       [](const camera::CameraStatus& c) { return c.bitrateKbps * 1000 / 8; }},
      {"vigil_camera_frames_received_total", "counter", "access units received",
       [](const camera::CameraStatus& c) { return static_cast<double>(c.framesReceived); }},
      {"vigil_camera_packets_lost_total", "counter", "RTP packets lost",
       [](const camera::CameraStatus& c) { return static_cast<double>(c.packetsLost); }},
      {"vigil_camera_frames_dropped_total", "counter", "access units dropped as incomplete",
       [](const camera::CameraStatus& c) { return static_cast<double>(c.accessUnitsDropped); }},
      {"vigil_camera_reconnects_total", "counter", "sessions started again after a failure",
       [](const camera::CameraStatus& c) { return static_cast<double>(c.reconnects); }},
  };
  for (const Gauge& g : kGauges) {
    Family family(out, g.name, g.type, g.help);
    for (const camera::CameraStatus& c : cameras) family.sample(fmt::format("camera=\"{}\"", label(c.id)), g.value(c));
  }
  Family analysed(out, "vigil_detect_frames_analysed_total", "counter", "pictures detection analysed");
  for (const camera::CameraStatus& c : cameras) {
    if (c.detecting) analysed.sample(fmt::format("camera=\"{}\"", label(c.id)), static_cast<double>(c.detectFramesAnalysed));
  }
  Family skipped(out, "vigil_detect_frames_dropped_total", "counter",
                 "frames detection dropped undecoded because its workers were behind");
  for (const camera::CameraStatus& c : cameras) {
    if (c.detecting) skipped.sample(fmt::format("camera=\"{}\"", label(c.id)), static_cast<double>(c.detectFramesDropped));
  }
  Family state(out, "vigil_camera_state", "gauge", "1 for the camera's current state");
  for (const camera::CameraStatus& c : cameras) {
    state.sample(fmt::format("camera=\"{}\",state=\"{}\"", label(c.id), camera::cameraStateName(c.state)), 1);
  }
}

void liveMetrics(std::string& out, const media::LiveRegistry& live) {
  const std::vector<media::LiveStreamStats> streams = live.stats();
  Family viewers(out, "vigil_live_viewers", "gauge", "live viewers now");
  for (const auto& s : streams) viewers.sample(fmt::format("camera=\"{}\"", label(s.id)), static_cast<double>(s.viewers));
  Family skipped(out, "vigil_live_frames_skipped_total", "counter", "frames slow viewers skipped to catch up");
  for (const auto& s : streams) {
    skipped.sample(fmt::format("camera=\"{}\"", label(s.id)), static_cast<double>(s.framesSkipped));
  }
  Family dropped(out, "vigil_live_viewers_disconnected_total", "counter", "viewers disconnected for staying too slow");
  for (const auto& s : streams) {
    dropped.sample(fmt::format("camera=\"{}\"", label(s.id)), static_cast<double>(s.viewersDisconnected));
  }
}

void storageMetrics(std::string& out, const storage::Store& store) {
  const std::vector<storage::DirStatus> dirs = store.dirStatus();
  Family used(out, "vigil_storage_used_bytes", "gauge", "sample bytes the committed index covers");
  for (const auto& d : dirs) used.sample(fmt::format("dir=\"{}\"", label(d.path)), static_cast<double>(d.stats.bytesUsed));
  Family full(out, "vigil_storage_full", "gauge", "1 while recording is stopped for want of space");
  for (const auto& d : dirs) full.sample(fmt::format("dir=\"{}\"", label(d.path)), d.stats.storageFull ? 1 : 0);
  Family written(out, "vigil_storage_samples_written_total", "counter", "frames written to sample files");
  for (const auto& d : dirs) {
    written.sample(fmt::format("dir=\"{}\"", label(d.path)), static_cast<double>(d.stats.samplesWritten));
  }
  Family lost(out, "vigil_storage_frames_dropped_total", "counter", "frames not recorded (queue full)");
  for (const auto& d : dirs) {
    lost.sample(fmt::format("dir=\"{}\"", label(d.path)), static_cast<double>(d.stats.framesDropped));
  }
  Family deleted(out, "vigil_storage_recordings_deleted_total", "counter", "recordings removed by retention");
  for (const auto& d : dirs) {
    deleted.sample(fmt::format("dir=\"{}\"", label(d.path)), static_cast<double>(d.stats.recordingsDeleted));
  }
}

void uptimeMetrics(std::string& out, const uptime::UptimeStore& store) {
  Family online(out, "vigil_camera_online", "gauge",
                "1 while the camera has no outage (it streams and, if recorded, has room)");
  for (const auto& [camera, outage] : store.openOutages()) {
    online.sample(fmt::format("camera=\"{}\"", label(camera)), outage ? 0 : 1);
  }
  Family outages(out, "vigil_camera_outages_total", "counter", "outages begun since the node started, by reason");
  for (const auto& [key, count] : store.outagesOpened()) {
    outages.sample(fmt::format("camera=\"{}\",reason=\"{}\"", label(key.first), label(key.second)),
                   static_cast<double>(count));
  }
}

void httpMetrics(std::string& out, const HttpServer& server) {
  Family requests(out, "vigil_http_requests_total", "counter", "HTTP requests answered, by route and status");
  for (const RequestCount& c : server.requestCounts()) {
    requests.sample(fmt::format("method=\"{}\",route=\"{}\",status=\"{}\"", label(c.method), label(c.route),
                                c.status),
                    static_cast<double>(c.count));
  }
}

}  // namespace

std::string renderMetrics(const MetricsSources& sources) {
  std::string out;
  cameraMetrics(out, sources.cameras());
  if (sources.live) liveMetrics(out, *sources.live);
  if (sources.browserTranscodes) {
    Family transcodes(out, "vigil_live_browser_transcode", "gauge",
                      "1 while the camera's live video is transcoded to H.264 for browsers");
    for (const std::string& camera : sources.browserTranscodes()) {
      transcodes.sample(fmt::format("camera=\"{}\"", label(camera)), 1);
    }
  }
  if (sources.store) storageMetrics(out, *sources.store);
  if (sources.uptime) uptimeMetrics(out, *sources.uptime);
  if (sources.server) httpMetrics(out, *sources.server);
  return out;
}

void addMetricsRoute(HttpServer& server, MetricsSources sources) {
  sources.server = &server;
  // An admin's session, or an API token of scope metrics (server.cpp).
  server.route("GET", "/metrics", Access::kAdmin, [sources](const Request&) {
    Response r;
    r.contentType = "text/plain; version=0.0.4; charset=utf-8";
    r.body = renderMetrics(sources);
    return r;
  });
}

}  // namespace vigil::http
