// Every string of the "Network" page (the tier link: this node's parent,
// children and invitations), in one place so that a translation can
// replace this file (the UI has no i18n mechanism yet).
import type { LinkChild, LinkParent, NodeTier } from "./api";

const tiers: Record<NodeTier, string> = { household: "household", village: "village", township: "township", county: "county" };

export const networkText = {
  nav: "Network",
  title: "Network",
  noLink: "This node has no tier link: give it a data directory ([node] data_dir) and a node id ([node] id).",
  self: (name: string, id: string, tier: NodeTier) => `This node: ${name} (${id}), a ${tiers[tier]}.`,
  fingerprint: "Key fingerprint",
  refresh: "Refresh",
  tier: (t: NodeTier) => tiers[t] ?? t,

  // The parent
  parentTitle: "Parent",
  parentLine: (p: LinkParent) => `${p.name ? `${p.name} (${p.id})` : p.id}, at ${p.url}`,
  parentStates: {
    connecting: "Connecting",
    connected: "Connected",
    retrying: "Not connected, retrying",
    stopped: "Stopped",
    restart_needed: "Joined: restart vigil on this box to connect",
  } as Record<LinkParent["state"], string>,
  root: (tier: NodeTier) => `A ${tiers[tier]} is the top of the network: it has no parent.`,
  joinTitle: "Join a parent",
  joinIntro: "Ask the admin of the village (or township, county) above this box for an invitation, then paste its text or type the address and code.",
  paste: "Invitation text (from the QR code)",
  pastePlaceholder: "vigil-join:https://…#XXXXX-XXXXX-XXXXX-XXXXX",
  pasteNotInvitation: "This is not an invitation's text: it starts with vigil-join: and ends with the code.",
  parentUrl: "Parent's address",
  code: "Invitation code",
  join: "Join",
  joining: "Joining…",
  joined: (tier: NodeTier, name: string, restarting: boolean) =>
    restarting
      ? `Joined the ${tiers[tier]} "${name}". vigil is restarting on this box to connect to it…`
      : `Joined the ${tiers[tier]} "${name}". Restart vigil on this box to connect to it.`,

  // Children
  childrenTitle: "Children",
  noChildren: "No household or village has joined this node yet.",
  householdHasNone: "A household has no children.",
  columns: { id: "Node id", name: "Name", tier: "Tier", state: "State", lastSeen: "Last seen", rtt: "Round trip", actions: "" },
  childStates: { connected: "Connected", offline: "Not connected" } as Record<LinkChild["state"], string>,
  since: (when: string) => `since ${when}`,
  never: "never",
  rtt: (ms: number | null) => (ms === null ? "" : `${ms} ms`),
  remove: "Remove",
  removeConfirm: (id: string) => `Remove ${id}? Its link ends now and it can no longer connect.`,
  removeYes: "Yes, remove",
  cancel: "Cancel",
  removed: (id: string) => `${id} was removed.`,

  // Invitations
  invitesTitle: "Open invitations",
  noInvites: "No open invitation.",
  inviteColumns: { name: "For", tier: "Tier", expires: "Valid until", actions: "" },
  revoke: "Revoke",
  revoked: (name: string) => `The invitation for "${name}" was revoked.`,
  inviteTitle: (tier: NodeTier | undefined) => (tier ? `Invite a ${tiers[tier]}` : "Invite a household or village"),
  inviteName: "Who it is for (e.g. Zhang family)",
  expires: "Valid for",
  lifetimes: [
    { value: "1h", label: "1 hour" },
    { value: "24h", label: "24 hours" },
    { value: "7d", label: "7 days" },
    { value: "30d", label: "30 days" },
  ],
  myUrl: "This node's address, as the child reaches it",
  myUrlHint: "https://HOST:PORT, the address the household or village can reach this box at.",
  create: "Create invitation",
  inviteMade: (name: string, until: string) => `Invitation for "${name}", valid until ${until}. It is shown only now.`,
  inviteHowTo: "On the child's Network page, scan or paste this, or type the address and the code.",
  qrLabel: "QR code of the invitation",
  qrText: "Text of the QR code",
};
