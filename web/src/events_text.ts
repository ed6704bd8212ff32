// Every string of detection events (design/DETECT.md "Events"): the
// events page, the marks on a camera's timeline and the household's
// notification of a new one, in one place so that a translation (Chinese
// first) can replace this file (the UI has no i18n mechanism yet).
import type { EventLabel } from "./api";

export const eventsText = {
  nav: "Events",
  title: "Events",
  labels: { person: "Person", vehicle: "Vehicle", animal: "Animal", motion: "Motion" } as Record<EventLabel, string>,
  anyLabel: "Any",
  anyCamera: "All cameras",
  camera: "Camera",
  label: "What",
  from: "From",
  to: "To",
  show: "Show",
  none: "No events match.",
  ongoing: "ongoing",
  zones: (z: string[]) => `in ${z.join(", ")}`,
  score: (s: number) => `${Math.round(s * 100)}%`,
  play: "Play from 5 s before",
  snapshotAlt: (label: string, camera: string) => `${label} at ${camera}`,
  more: (n: number) => `Showing the newest ${n}; narrow the filters to see older events.`,
  // The household: a new person / vehicle / animal.
  newEvent: (label: string, camera: string, at: string) => `${label} at ${camera}, ${at}`,
  view: "View",
  dismiss: "Dismiss",
  markTitle: (label: string, at: string) => `${label} at ${at}: click to play from 5 s before`,
};
