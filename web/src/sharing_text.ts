// Every string of a camera's Sharing panel (what the village, township and
// county may see of it), in English and Chinese (i18n.ts).
import type { ShareRight, Tier } from "./api";
import { texts } from "./i18n";

const en = {
  title: "Sharing",
  shareWith: { village: "Share with the village", township: "Share with the township", county: "Share with the county" } as Record<Tier, string>,
  rights: { live: "live", playback: "playback", export: "export", snapshot: "snapshot" } as Record<ShareRight, string>,
  onlyDuringAlarm: "only during an alarm",
  hours: "Hours",
  allDay: "all day",
  until: "Until",
  save: "Save sharing",
  allOff: "Turn all sharing off",
  sharedWithNone: "Shared with no one.",
  saved: "Saved.",
};

export const sharingText = texts({
  en,
  zh: {
    title: "分享",
    shareWith: { village: "分享给村", township: "分享给乡镇", county: "分享给县" },
    rights: { live: "实时预览", playback: "回放", export: "导出录像", snapshot: "抓图" },
    onlyDuringAlarm: "仅在报警期间",
    hours: "时段",
    allDay: "全天",
    until: "截止",
    save: "保存分享设置",
    allOff: "全部取消分享",
    sharedWithNone: "未分享给任何人。",
    saved: "已保存。",
  },
});
