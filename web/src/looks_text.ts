// Every string of the owner's "who looked" page and of its notice, in
// English and Chinese (i18n.ts).
import type { ShareRight, Tier } from "./api";
import { texts } from "./i18n";

const en = {
  nav: "Who looked",
  title: "Who looked at my cameras",
  intro: "Every look from the village, township or county at a camera of this node, allowed or refused, newest first.",
  camera: "Camera",
  tier: "Tier",
  all: "All",
  refusedOnly: "Refused only",
  refresh: "Refresh",
  none: "No one from another tier has looked at these cameras.",
  noneMatch: "No looks match.",
  columns: { when: "When", who: "Who", tier: "Tier", camera: "Camera", what: "What", howLong: "How long", result: "Result" },
  tiers: { village: "Village", township: "Township", county: "County" } as Record<Tier, string>,
  what: { live: "Live", snapshot: "Snapshot", playback: "Playback", export: "Export" } as Record<ShareRight, string>,
  through: (path: string) => `through ${path}`,
  notEnded: "not ended",
  allowed: "Allowed",
  refused: (reason: string, count: number) => (count > 1 ? `Refused ${count} times: ${reason}` : `Refused: ${reason}`),
  ended: (reason: string) => `ended: ${reason}`,
  olderNotSearched: (when: string) => `Only looks since ${when} were searched; older ones are in the audit log.`,
  moreThan: (n: number) => `Showing the newest ${n} looks.`,
  newBadge: (n: number) => `${n} new`,
  notice: (n: number) => (n === 1 ? "Someone from another tier looked at your cameras." : `${n} new looks at your cameras from other tiers.`),
  noticeLink: "See who looked",
};

export const looksText = texts({
  en,
  zh: {
    nav: "谁看过",
    title: "谁看过我的摄像头",
    intro: "村、乡镇或县对本机摄像头的每一次查看，无论允许还是拒绝，最新的在前。",
    camera: "摄像头",
    tier: "层级",
    all: "全部",
    refusedOnly: "只看被拒绝的",
    refresh: "刷新",
    none: "还没有其他层级的人查看过这些摄像头。",
    noneMatch: "没有符合条件的查看记录。",
    columns: { when: "时间", who: "查看人", tier: "层级", camera: "摄像头", what: "内容", howLong: "时长", result: "结果" },
    tiers: { village: "村", township: "乡镇", county: "县" },
    what: { live: "实时预览", snapshot: "抓图", playback: "回放", export: "导出录像" },
    through: (path) => `经由 ${path}`,
    notEnded: "未结束",
    allowed: "已允许",
    refused: (reason, count) => (count > 1 ? `被拒绝 ${count} 次：${reason}` : `已拒绝：${reason}`),
    ended: (reason) => `已结束：${reason}`,
    olderNotSearched: (when) => `只查询了 ${when} 以来的查看记录；更早的请看审计日志。`,
    moreThan: (n) => `仅显示最新的 ${n} 条查看记录。`,
    newBadge: (n) => `${n} 条新记录`,
    notice: (n) => (n === 1 ? "有其他层级的人查看了您的摄像头。" : `其他层级对您的摄像头有 ${n} 次新的查看。`),
    noticeLink: "查看是谁",
  },
});
