// Every string of the household's alarm (the button, the confirm step, its
// state at every step), in English and Chinese (i18n.ts).
import type { AlarmKind } from "./api";
import { texts } from "./i18n";

const en = {
  button: "Alarm",
  buttonHint: "Call the village duty desk",
  title: "Call for help",
  howTo: "Press and hold what happened for 1 second.",
  tooShort: "Hold it for a full second to send.",
  cancel: "Cancel",
  kinds: { medical: "Medical", fire: "Fire", intrusion: "Intruder", other: "Other help" } as Record<AlarmKind, string>,
  sending: "Sending…",
  notSent: (why: string) => `The alarm was not sent: ${why}`,
  noParent: "this home is not linked to a village.",
  // The alarm's state, one line per step.
  stored: "Sending… (kept here until the village can be reached)",
  sent: "Sent, waiting for the village duty desk",
  delivered: "Delivered to the village duty desk",
  escalated: (to: string) => `Escalated to ${to}: the village did not answer in time`,
  acknowledged: (who: string) => `Acknowledged by ${who}`,
  assigned: (who: string) => `${who} is handling it`,
  closed: (outcome: string) => (outcome ? `Closed: ${outcome}` : "Closed"),
  heading: (kind: string, at: string) => `${kind} alarm raised at ${at}`,
  note: (by: string, text: string) => `${by}: ${text}`,
  dismiss: "Dismiss",
};

export const alarmText = texts({
  en,
  zh: {
    button: "一键报警",
    buttonHint: "呼叫村值班台",
    title: "紧急求助",
    howTo: "按住发生的情况 1 秒钟。",
    tooShort: "请按住满 1 秒才能发送。",
    cancel: "取消",
    kinds: { medical: "急病", fire: "火灾", intrusion: "有人闯入", other: "其他求助" },
    sending: "正在发送…",
    notSent: (why) => `报警未发出：${why}`,
    noParent: "本户尚未关联到村。",
    stored: "正在发送…（已保存在本机，连上村里后送达）",
    sent: "已发送，等待村值班台接收",
    delivered: "已送达村值班台",
    escalated: (to) => `村里未及时响应，已上报至 ${to}`,
    acknowledged: (who) => `${who} 已确认`,
    assigned: (who) => `${who} 正在处理`,
    closed: (outcome) => (outcome ? `已结束：${outcome}` : "已结束"),
    heading: (kind, at) => `${at} 发起的${kind}报警`,
    note: (by, text) => `${by}：${text}`,
    dismiss: "关闭",
  },
});
