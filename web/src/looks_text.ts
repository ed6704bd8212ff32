// Every string of the owner's "who looked" page and of its notice, in one
// place so that a translation can replace this file (the UI has no i18n
// mechanism yet).
import type { ShareRight, Tier } from "./api";

export const looksText = {
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
