// Every string of a camera's PTZ controls (turning an ONVIF camera from
// its page: design/ONVIF.md), in English and Chinese (i18n.ts).
import { texts } from "./i18n";

const en = {
  turn: "Turn the camera",
  stopTurning: "Done turning",
  left: "Turn left",
  right: "Turn right",
  up: "Tilt up",
  down: "Tilt down",
  zoomIn: "Zoom in",
  zoomOut: "Zoom out",
  stop: "Stop",
  keysHint: "Arrows turn the camera, + and − zoom; Back ends.",
  presets: "Presets",
  goTo: (name: string) => `Go to ${name}`,
  savePreset: "Save this view",
  presetName: "Name of this view",
  // Why a command failed, by the API's reason.
  failed: {
    wrong_password: "The camera refused its user name or password.",
    unreachable: "The camera cannot be reached.",
    timeout: "The camera did not answer in time.",
    bad_answer: "The camera answered something that is not ONVIF.",
    fault: "The camera refused this command.",
    other: "The command failed.",
  } as Record<string, string>,
};

export const ptzText = texts({
  en,
  zh: {
    turn: "转动摄像头",
    stopTurning: "结束转动",
    left: "向左转",
    right: "向右转",
    up: "向上",
    down: "向下",
    zoomIn: "放大",
    zoomOut: "缩小",
    stop: "停止",
    keysHint: "方向键转动摄像头，+ 和 − 变焦；返回键结束。",
    presets: "预置位",
    goTo: (name: string) => `转到 ${name}`,
    savePreset: "保存当前画面为预置位",
    presetName: "预置位名称",
    failed: {
      wrong_password: "摄像头拒绝了用户名或密码。",
      unreachable: "无法连接摄像头。",
      timeout: "摄像头没有及时响应。",
      bad_answer: "摄像头的回答不是 ONVIF。",
      fault: "摄像头拒绝了这个指令。",
      other: "指令失败。",
    },
  },
});
