// Every string of the alerts shown to the owner and the desk (cameras
// offline too long, disks filling, recording stopped, links down), in
// English and Chinese (i18n.ts).
import { texts } from "./i18n";

export type AlertKind = "camera_offline" | "disk_filling" | "recording_stopped" | "link_down";

const en = {
  kinds: {
    camera_offline: (subject: string) => `Camera ${subject} is offline`,
    disk_filling: (subject: string) => `The disk of ${subject} is about to fill`,
    recording_stopped: (subject: string) => `Recording of ${subject} has stopped`,
    link_down: (subject: string) => (subject === "parent" ? "The link to the tier above is down" : `The link to ${subject} is down`),
  } as Record<AlertKind, (subject: string) => string>,
  since: (when: string) => `since ${when}`,
};

export const alertText = texts({
  en,
  zh: {
    kinds: {
      camera_offline: (subject: string) => `摄像头 ${subject} 离线`,
      disk_filling: (subject: string) => `${subject} 磁盘即将写满`,
      recording_stopped: (subject: string) => `${subject} 已停止录像`,
      link_down: (subject: string) => (subject === "parent" ? "与上级的连接已断开" : `与 ${subject} 的连接已断开`),
    },
    since: (when: string) => `自 ${when} 起`,
  },
});
