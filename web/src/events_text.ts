// Every string of detection events (design/DETECT.md "Events"): the
// events page, the marks on a camera's timeline and the household's
// notification of a new one, in English and Chinese (i18n.ts).
import type { EventLabel } from "./api";
import { texts } from "./i18n";

const en = {
  nav: "Events",
  title: "Events",
  labels: { person: "Person", vehicle: "Vehicle", animal: "Animal", motion: "Motion" } as Record<EventLabel, string>,
  anyLabel: "Any",
  anyCamera: "All cameras",
  camera: "Camera",
  label: "What",
  from: "From",
  to: "To",
  show: "Show",
  none: "No events match.",
  ongoing: "ongoing",
  zones: (z: string[]) => `in ${z.join(", ")}`,
  score: (s: number) => `${Math.round(s * 100)}%`,
  play: "Play from 5 s before",
  snapshotAlt: (label: string, camera: string) => `${label} at ${camera}`,
  more: (n: number) => `Showing the newest ${n}; narrow the filters to see older events.`,
  // The household: a new person / vehicle / animal.
  newEvent: (label: string, camera: string, at: string) => `${label} at ${camera}, ${at}`,
  view: "View",
  dismiss: "Dismiss",
  markTitle: (label: string, at: string) => `${label} at ${at}: click to play from 5 s before`,
};

export const eventsText = texts({
  en,
  zh: {
    nav: "事件",
    title: "事件",
    labels: { person: "人", vehicle: "车辆", animal: "动物", motion: "移动侦测" },
    anyLabel: "全部",
    anyCamera: "全部摄像头",
    camera: "摄像头",
    label: "类型",
    from: "开始",
    to: "结束",
    show: "查询",
    none: "没有符合条件的事件。",
    ongoing: "进行中",
    zones: (z) => `区域：${z.join("、")}`,
    score: (s) => `${Math.round(s * 100)}%`,
    play: "从事件前 5 秒开始回放",
    snapshotAlt: (label, camera) => `${camera}：${label}`,
    more: (n) => `仅显示最新的 ${n} 条；缩小筛选范围可查看更早的事件。`,
    newEvent: (label, camera, at) => `${at} ${camera} 检测到${label}`,
    view: "查看",
    dismiss: "忽略",
    markTitle: (label, at) => `${at} ${label}：点击从前 5 秒开始回放`,
  },
});
