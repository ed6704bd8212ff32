// Every string of emergency broadcasts and notices (应急广播): the
// household's notices (the urgent one over the screen, the list) and the
// desk's page to send them and follow their receipts, in one place so that
// a translation (Chinese first) can replace this file (the UI has no i18n
// mechanism yet).
import type { NoticePriority } from "./api";

export const broadcastText = {
  // The household: an urgent notice over the whole screen.
  urgentTitle: "Emergency notice",
  from: (sender: string, at: string) => `From ${sender}, ${at}`,
  dismiss: "I have read it",
  dismissHint: "Back also closes it",
  enableSound: "Press any key or tap the screen to hear it.",
  noSound: "This device cannot play the sound: read the notice.",
  playAgain: "Play the message again",
  playing: "Playing the message…",

  // The household: the list of notices.
  nav: "Notices",
  unseenBadge: (n: number) => `${n} new`,
  title: "Notices",
  none: "No notices.",
  isNew: "New",
  expired: "Expired",
  urgent: "Urgent",
  audio: "Voice message",

  // The desk: send, and what was sent.
  deskNav: "Broadcasts",
  deskTitle: "Broadcasts",
  sendTitle: "Send a notice",
  text: "Text",
  textPlaceholder: "What every household must know (Chinese or English)",
  priority: "Priority",
  priorities: { normal: "Normal: waits in the households' notice lists", urgent: "Urgent: takes over their screens, with sound" } as Record<NoticePriority, string>,
  to: "To",
  toAll: "Every household below",
  toChosen: "Chosen nodes",
  children: "Linked below this node",
  noChildren: "No node is linked below this one yet.",
  otherIds: "Or by path, a household through its village (village-1.house-2), separated by commas",
  expires: "Expires (optional)",
  audioTitle: "Voice message (optional)",
  upload: "Upload a file",
  record: "Record",
  stop: "Stop recording",
  recording: (s: number) => `Recording… ${s} s`,
  recorded: (s: number, kb: number) => `Recorded ${s} s (${kb} KB)`,
  chosenFile: (name: string, kb: number) => `${name} (${kb} KB)`,
  removeAudio: "Remove",
  noMicrophone: (why: string) => `The microphone cannot be used: ${why}`,
  audioTooBig: "The voice message is over 1 MiB: make it shorter.",
  audioType: (type: string) => `${type || "This file"} is not a sound vigil can send (WebM, Ogg, MP3, WAV or MP4 audio).`,
  textNeeded: "Write the notice first.",
  nobodyChosen: "Choose at least one node, or send to every household.",
  send: "Send",
  sending: "Sending…",
  sent: "Sent.",
  failed: (why: string) => `Not sent: ${why}`,
  sentTitle: "Sent",
  noneSent: "Nothing sent yet.",
  receipts: (r: { targeted: number; delivered: number; seen: number }) => `${r.targeted} targeted · ${r.delivered} delivered · ${r.seen} seen`,
  households: "Households",
  hide: "Hide",
  noHouseholds: "No household reached yet.",
  columns: { node: "Household", delivered: "Delivered", seen: "Seen" },
  notYet: "not yet",
  expiresAt: (at: string) => `expires ${at}`,
};
