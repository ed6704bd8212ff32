// hls.js's light build (no subtitles, alternate audio or DRM) has the same
// API as the full one but ships no types of its own.
declare module "hls.js/light" {
  export * from "hls.js";
  export { default } from "hls.js";
}
