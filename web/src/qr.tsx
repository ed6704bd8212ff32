import qrcode from "qrcode-generator";

// The join text a QR code carries (design/LINK.md, "Enrolment from the web
// UI"): "vigil-join:" + the parent's https://HOST:PORT + "#" + the code.
const kScheme = "vigil-join:";

export function joinText(parentUrl: string, code: string): string {
  return `${kScheme}${parentUrl}#${code}`;
}

// The address and the code of a join text; undefined when it is not one.
export function parseJoinText(text: string): { parent: string; code: string } | undefined {
  const t = text.trim();
  if (!t.toLowerCase().startsWith(kScheme)) return undefined;
  const rest = t.slice(kScheme.length);
  const hash = rest.lastIndexOf("#");
  if (hash <= 0 || hash === rest.length - 1) return undefined;
  return { parent: rest.slice(0, hash), code: rest.slice(hash + 1) };
}

// A QR code as SVG: black modules on white with the standard quiet zone of
// four modules, `scale` pixels a module (crisp edges: phones scan it from a
// screen at a metre).
export function QrCode({ text, scale = 8, label }: { text: string; scale?: number; label: string }) {
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  const size = n + 2 * quiet;
  let path = "";
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) path += `M${c + quiet} ${r + quiet}h1v1h-1z`;
    }
  }
  return (
    <svg
      class="qr"
      role="img"
      aria-label={label}
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${size} ${size}`}
      width={size * scale}
      height={size * scale}
      shape-rendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
