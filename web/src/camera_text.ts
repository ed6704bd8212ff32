// Every string of live video and recordings: the grid, a camera's page
// with its timeline and clip download, and what the players say over the
// picture, in English and Chinese (i18n.ts).
import { texts } from "./i18n";

const en = {
  // The grid
  layout: "Layout",
  previousPage: "Previous page",
  nextPage: "Next page",
  noCameras: "No cameras to show. An admin can grant you some.",
  online: "online",
  offline: "offline",

  // Over the picture
  connecting: "Connecting…",
  noVideo: "no video from this camera",
  notFound: "camera not found",
  cameraOffline: (reason: string | null | undefined) => (reason ? `camera offline: ${reason}` : "camera offline"),
  liveUnavailable: "live video unavailable",
  stalled: "the live stream stalled",
  streamError: "live stream error",
  cannotDecode: (codec: string) => `this browser cannot decode ${codec}`,
  liveError: (why: string) => `live video error: ${why}`,
  cannotPlay: (why: string) => `cannot play this video (${why})`,
  cannotPlayHere: "this browser cannot play this video",
  noVideoInRange: "no video in this range",
  videoUnavailable: (code: number | undefined) => (code ? `video unavailable (${code})` : "video unavailable (network error)"),

  // A camera's page
  back: "‹ Cameras",
  live: "Live",
  playback: (at: string) => `Playback ${at}`,
  viewOffline: (reason: string | null | undefined) => (reason ? `Camera offline: ${reason}` : "Camera offline"),
  back10: "−10 s",
  back10Label: "Back 10 seconds",
  forward10: "+10 s",
  forward10Label: "Forward 10 seconds",
  play: "Play",
  pause: "Pause",
  speed: (s: number) => `${s}x`,
  recordingsUnavailable: (why: string) => `Recordings unavailable: ${why}`,
  noVideoAt: (at: string) => `No video recorded at ${at} or after it.`,
  playingNext: (at: string, from: string) => `No video at ${at}; playing from ${from}, the next recording.`,
  noRecordings: "No recordings in the last 24 hours.",

  // The clip
  downloadClip: "Download a clip",
  from: "From",
  to: "To",
  markStart: "Mark start here",
  markEnd: "Mark end here",
  clipBackwards: "The clip must end after it starts.",
  clipTooLong: (max: string) => `A clip can be at most ${max} long.`,
  clipEmpty: "No video was recorded in this range.",
  download: (length: string) => `Download MP4 (${length})`,

  // The timeline
  zoomIn: "Zoom in",
  zoomOut: "Zoom out",
  earlier: "Earlier",
  later: "Later",
  timeline: "Recordings timeline: arrows move, Enter plays from there",
  atLive: "live",
};

export const cameraText = texts({
  en,
  zh: {
    layout: "分屏",
    previousPage: "上一页",
    nextPage: "下一页",
    noCameras: "没有可显示的摄像头。请管理员为您授权。",
    online: "在线",
    offline: "离线",

    connecting: "正在连接…",
    noVideo: "该摄像头没有画面",
    notFound: "找不到该摄像头",
    cameraOffline: (reason) => (reason ? `摄像头离线：${reason}` : "摄像头离线"),
    liveUnavailable: "暂时无法实时预览",
    stalled: "实时画面中断",
    streamError: "实时视频流出错",
    cannotDecode: (codec) => `此浏览器无法解码 ${codec}`,
    liveError: (why) => `实时视频出错：${why}`,
    cannotPlay: (why) => `无法播放此视频（${why}）`,
    cannotPlayHere: "此浏览器无法播放此视频",
    noVideoInRange: "该时间段没有录像",
    videoUnavailable: (code) => (code ? `视频不可用（${code}）` : "视频不可用（网络错误）"),

    back: "‹ 摄像头",
    live: "实时",
    playback: (at) => `回放 ${at}`,
    viewOffline: (reason) => (reason ? `摄像头离线：${reason}` : "摄像头离线"),
    back10: "−10秒",
    back10Label: "后退 10 秒",
    forward10: "+10秒",
    forward10Label: "前进 10 秒",
    play: "播放",
    pause: "暂停",
    speed: (s) => `${s}倍速`,
    recordingsUnavailable: (why) => `无法获取录像：${why}`,
    noVideoAt: (at) => `${at} 及之后没有录像。`,
    playingNext: (at, from) => `${at} 没有录像，从下一段录像 ${from} 开始播放。`,
    noRecordings: "最近 24 小时没有录像。",

    downloadClip: "下载录像片段",
    from: "开始",
    to: "结束",
    markStart: "以此为开始",
    markEnd: "以此为结束",
    clipBackwards: "结束时间必须晚于开始时间。",
    clipTooLong: (max) => `片段最长 ${max}。`,
    clipEmpty: "该时间段没有录像。",
    download: (length) => `下载 MP4（${length}）`,

    zoomIn: "放大",
    zoomOut: "缩小",
    earlier: "向前",
    later: "向后",
    timeline: "录像时间轴：方向键移动，确认键从该处播放",
    atLive: "实时",
  },
});

export type CameraText = ReturnType<typeof cameraText>;
