#pragma once
// A [[camera]] table given as JSON, as the API takes it (POST and PUT
// /api/v1/cameras, design/CAMERAS.md): the same keys as the config file,
// read by the config's own reader (readCameraTable), so that every key a
// module adds to [[camera]] is taken from the API too, with the same
// checks and the same messages without the file and line ("url: must be
// an rtsp:// URL").

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/config.h"

namespace vigil::app {

// The table written as TOML: each key of `table` (a JSON object) a line
// `"key" = value`, objects as inline tables, arrays as arrays. null has
// no TOML form: InvalidArgument naming the key.
Result<std::string> cameraTableToml(const nlohmann::json& table);

// Reads `table` as a [[camera]] table, and its ONVIF device (the `onvif`
// keys; empty without them) into `device` when given. InvalidArgument
// naming the key at fault.
Result<ConfiguredCamera> readCameraJson(const nlohmann::json& table, onvif::CameraOnvifConfig* device = nullptr);

}  // namespace vigil::app
