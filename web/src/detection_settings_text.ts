// Every string of a camera's Detection panel (what it detects, where, what
// is masked, what the household is told of), in English and Chinese
// (i18n.ts; design/DETECT.md "Settings from the UI").
import type { ObjectLabel } from "./api";
import { texts } from "./i18n";

const en = {
  title: "Detection",
  detect: "Detect",
  notify: "Notify this household",
  labels: { person: "People", vehicle: "Vehicles", animal: "Animals" } as Record<ObjectLabel, string>,
  areas: "Zones and masks",
  kinds: {
    include: "Zone: only here",
    ignore: "Zone: ignore here",
    shared: "Mask: hidden from other tiers",
    all: "Mask: hidden everywhere",
  } as Record<"include" | "ignore" | "shared" | "all", string>,
  draw: "Draw",
  drawHint: "Click on the picture to add corners (at least 3), then Finish.",
  name: "Name",
  finish: "Finish",
  cancel: "Cancel",
  remove: "Remove",
  none: "No zones or masks: the whole picture counts and nothing is masked.",
  save: "Save detection",
  reset: "Use the config file's",
  saved: "Saved. It applies from the next picture analysed.",
  savedRestart: "Saved. vigil restarts to apply the new masks: the cameras pause for a second or two.",
  fromFile: "As in the config file.",
  fromOwner: "Set here (over the config file).",
  off: "Detection is off for this camera.",
  needName: "Give it a name.",
  needPoints: "Add at least 3 corners.",
  picture: "The camera's picture with its zones and masks",
};

export const detectionSettingsText = texts({
  en,
  zh: {
    title: "智能侦测",
    detect: "侦测",
    notify: "通知本户",
    labels: { person: "人", vehicle: "车辆", animal: "动物" },
    areas: "区域与遮挡",
    kinds: {
      include: "区域：只看这里",
      ignore: "区域：忽略这里",
      shared: "隐私遮挡：对上级隐藏",
      all: "隐私遮挡：全部隐藏",
    },
    draw: "绘制",
    drawHint: "在画面上点击添加顶点（至少 3 个），然后点“完成”。",
    name: "名称",
    finish: "完成",
    cancel: "取消",
    remove: "删除",
    none: "没有区域或遮挡：整个画面都侦测，不遮挡任何部分。",
    save: "保存侦测设置",
    reset: "恢复配置文件的设置",
    saved: "已保存，从下一帧分析起生效。",
    savedRestart: "已保存。vigil 将重启以应用新的遮挡，摄像头会暂停一两秒。",
    fromFile: "与配置文件相同。",
    fromOwner: "在此设置（覆盖配置文件）。",
    off: "此摄像头未开启侦测。",
    needName: "请填写名称。",
    needPoints: "请至少添加 3 个顶点。",
    picture: "摄像头画面及其区域与遮挡",
  },
});
