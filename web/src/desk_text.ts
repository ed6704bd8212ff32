// Every string of the duty desk page (village, township and county), in one
// place so that a translation can replace this file (the UI has no i18n
// mechanism yet).
import type { AlarmKind, AlarmState } from "./api";

export const deskText = {
  nav: "Duty desk",
  title: "Duty desk",
  openBadge: (n: number) => `${n} open`,
  enableSound: "Click anywhere to enable the alarm sound.",
  noSound: "This browser cannot play the alarm sound; watch the list.",
  active: "Open alarms",
  noneActive: "No open alarms.",
  kinds: { medical: "Medical", fire: "Fire", intrusion: "Intrusion", other: "Other" } as Record<AlarmKind, string>,
  states: { open: "Open", acknowledged: "Acknowledged", closed: "Closed" } as Record<AlarmState, string>,
  from: (path: string) => `from ${path}`,
  raisedAt: (at: string) => `raised ${at}`,
  escalatedTo: (to: string) => `escalated to ${to}`,
  acknowledgedBy: (who: string, at: string) => `acknowledged by ${who} at ${at}`,
  assignedTo: (who: string) => `assigned to ${who}`,
  closedWith: (outcome: string, at: string) => `closed at ${at}: ${outcome}`,
  ack: "Acknowledge",
  alreadyAcked: (who: string) => `Already acknowledged by ${who}.`,
  assign: "Assign",
  assignTo: "Person",
  addNote: "Add note",
  note: "Note",
  close: "Close",
  outcome: "Outcome",
  outcomeNeeded: "Say how it ended before closing.",
  cameras: "Cameras",
  noCameras: "This household shares no camera with this desk.",
  history: "Past alarms",
  noneMatch: "No alarms match.",
  filters: { state: "State", kind: "Kind", node: "Household", from: "From", to: "To", all: "All", show: "Show" },
  columns: { raised: "Raised", node: "Household", kind: "Kind", state: "State", by: "Acknowledged by", outcome: "Outcome" },
  failed: (why: string) => `Failed: ${why}`,
};
