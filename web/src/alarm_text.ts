// Every string of the household's alarm (the button, the confirm step, its
// state at every step), in one place so that a translation can replace this
// file (the UI has no i18n mechanism yet).
import type { AlarmKind } from "./api";

export const alarmText = {
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
