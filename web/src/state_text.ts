// What a camera's state says to people (camera_state.tsx): offline since
// when, and why in plain words, in English and Chinese (i18n.ts).
import { texts } from "./i18n";

export type ReasonCode = "no_answer" | "wrong_password" | "no_video" | "refused" | "storage_full" | "disabled";

const en = {
  offlineSince: (time: string) => `Offline since ${time}`,
  neverConnected: "Never connected",
  offline: "Offline",
  // The server's reason_code (design/ARCHITECTURE.md "Camera states").
  reasons: {
    no_answer: "the camera does not answer",
    wrong_password: "wrong password",
    no_video: "no video from the camera",
    refused: "the camera refuses the stream (check its address)",
    storage_full: "the disk is full",
    disabled: "disabled by an admin",
  } as Record<ReasonCode, string>,
  disabled: "Disabled",
  diskFull: "disk full: not recording",
  waitingForVideo: "waiting for video…",
  // The optional browser notification.
  notifyAsk: "Notify me when a camera goes offline",
  notifyOn: "Offline notifications on",
  notifyBlocked: "This browser blocks notifications from this site",
  notifyTitle: (camera: string) => `${camera} is offline`,
};

export const stateText = texts({
  en,
  zh: {
    offlineSince: (time) => `${time} 起离线`,
    neverConnected: "从未连接",
    offline: "离线",
    reasons: {
      no_answer: "摄像头无响应",
      wrong_password: "密码错误",
      no_video: "摄像头没有画面",
      refused: "摄像头拒绝了视频流（请检查地址）",
      storage_full: "磁盘已满",
      disabled: "已被管理员停用",
    },
    disabled: "已停用",
    diskFull: "磁盘已满：未在录像",
    waitingForVideo: "正在等待画面…",
    notifyAsk: "摄像头离线时通知我",
    notifyOn: "离线通知已开启",
    notifyBlocked: "此浏览器已阻止本站的通知",
    notifyTitle: (camera) => `${camera} 已离线`,
  },
});
