// Every string of the public register (the page anyone may read, and the
// owner's and admin's controls for it), in English and Chinese (i18n.ts).
import { texts } from "./i18n";

export type WatchTier = "owner" | "village" | "township" | "county";
export type WatchWhat = "live" | "snapshots" | "recorded";

const en = {
  title: "Public cameras",
  intro: "The cameras that look at public places here, as their owners listed them: what each covers, who runs it, who may watch it and how long its video is kept.",
  closed: "This register is not open to the public.",
  none: "No camera is listed.",
  covers: "Covers",
  runBy: "Run by",
  saidBelow: "as its owner, a household or node below, says",
  watch: "Who may watch",
  kept: "Video kept",
  looks: "Looks from other tiers (30 days)",
  online: "Online",
  offline: "Offline",
  notRecorded: "not recorded",
  days: (n: number) => (n === 1 ? "1 day" : `${n} days`),
  tiers: { owner: "its owner", village: "the village", township: "the township", county: "the county" } as Record<WatchTier, string>,
  what: { live: "live", snapshots: "snapshots", recorded: "recorded video" } as Record<WatchWhat, string>,
  picture: "Picture (private areas blacked out)",
  // The owner's control on a camera's page.
  listingTitle: "Public register",
  listed: "This camera looks at a public place: list it in the public register",
  coversLabel: "What it covers",
  coversPlaceholder: "e.g. the lane from the well to the school",
  showPicture: "Show a snapshot (masked)",
  saveListing: "Save",
  saved: "Saved.",
  // The admin's switch on the Network page.
  settingsTitle: "Public register",
  open: "Anyone may read this node's public register, without an account",
  runByLabel: "Run by (the name the register shows)",
  openLink: "Open the register",
};

export const registerText = texts({
  en,
  zh: {
    title: "公共摄像头",
    intro: "这里拍摄公共场所的摄像头，由其所有者登记：各自拍摄的范围、由谁管理、谁可以观看、录像保存多久。",
    closed: "本登记表未向公众开放。",
    none: "没有登记的摄像头。",
    covers: "拍摄范围",
    runBy: "管理方",
    saidBelow: "由其所有者（下级住户或节点）自报",
    watch: "谁可以观看",
    kept: "录像保存",
    looks: "其他层级查看次数（30 天）",
    online: "在线",
    offline: "离线",
    notRecorded: "不录像",
    days: (n: number) => `${n} 天`,
    tiers: { owner: "所有者", village: "村", township: "乡镇", county: "县" },
    what: { live: "实时画面", snapshots: "抓图", recorded: "录像" },
    picture: "画面（隐私区域已遮挡）",
    listingTitle: "公共登记",
    listed: "此摄像头拍摄公共场所：在公共登记表中列出",
    coversLabel: "拍摄范围",
    coversPlaceholder: "例如：从水井到学校的小路",
    showPicture: "显示抓图（已遮挡）",
    saveListing: "保存",
    saved: "已保存。",
    settingsTitle: "公共登记表",
    open: "任何人无需账号即可查看本节点的公共登记表",
    runByLabel: "管理方（登记表中显示的名称）",
    openLink: "打开登记表",
  },
});
