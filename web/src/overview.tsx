import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { type Overview as OverviewData, type OverviewCamera, type OverviewNode, api, overviewPath } from "./api";
import { locale } from "./i18n";
import { overviewText } from "./overview_text";
import { SECOND, dateTime } from "./time";

const kPollMs = 30 * SECOND;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(1)} %`;
}

function bytes(n: number | null): string {
  if (n === null) return "–";
  const units = overviewText().units;
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toLocaleString(locale(), { maximumFractionDigits: v < 10 ? 1 : 0 })} ${units[u]}`;
}

// A row's class by its online rate: what a clerk looks for first.
function rateClass(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return "";
  return rate < 0.9 ? "bad" : rate < 0.98 ? "fair" : "good";
}

type NodeKey = "name" | "tier" | "link" | "cameras" | "online" | "rate7d" | "rate30d" | "storage" | "kept" | "forecast" | "alarms";
const nodeValue: Record<NodeKey, (n: OverviewNode) => number | string | null> = {
  name: (n) => n.name,
  tier: (n) => n.tier,
  link: (n) => n.link,
  cameras: (n) => n.cameras_total,
  online: (n) => n.cameras_online,
  rate7d: (n) => n.online_rate_7d,
  rate30d: (n) => n.online_rate_30d,
  storage: (n) => n.storage_used_bytes,
  kept: (n) => n.days_kept,
  forecast: (n) => n.days_forecast,
  alarms: (n) => n.alarms_open,
};

// Unknown values (not shared) sort last either way.
function compare(a: number | string | null, b: number | string | null, asc: boolean): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  const c = typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b), locale());
  return asc ? c : -c;
}

// The online rate per day, drawn with uPlot; resized with its box.
function RateChart({ daily }: { daily: OverviewData["daily"] }) {
  const t = overviewText();
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = daily.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
    const ys = daily.map((d) => (d.online_rate === null ? null : d.online_rate * 100));
    const size = () => ({ width: Math.max(200, el.clientWidth), height: Math.max(160, Math.min(320, el.clientWidth / 3)) });
    const plot = new uPlot(
      {
        ...size(),
        legend: { show: false },
        scales: { x: { time: true }, y: { range: [0, 100] } },
        axes: [
          {
            stroke: "#9aa4b2",
            grid: { stroke: "#2a3140" },
            // Days in the page's language (uPlot's own names are English).
            values: (_u, v) => v.map((x) => new Intl.DateTimeFormat(locale(), { month: "numeric", day: "numeric", timeZone: "UTC" }).format(x * 1000)),
          },
          { stroke: "#9aa4b2", grid: { stroke: "#2a3140" }, values: (_u, v) => v.map((x) => `${x}%`) },
        ],
        series: [{}, { label: t.chartSeries, stroke: "#4caf50", width: 2, fill: "rgba(76,175,80,0.15)", spanGaps: false }],
      },
      [xs, ys],
      el,
    );
    const observer = new ResizeObserver(() => plot.setSize(size()));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [daily, t]);
  return <div class="rate-chart" ref={box} role="img" aria-label={t.chartTitle} />;
}

function Tiles({ o }: { o: OverviewData }) {
  const t = overviewText().tiles;
  const tile = (cls: string, label: string, value: string, sub?: string) => (
    <div class={`tile-figure ${cls}`}>
      <span class="label">{label}</span>
      <span class="value">{value}</span>
      {sub && <span class="sub">{sub}</span>}
    </div>
  );
  const s = o.totals;
  return (
    <div class="figures">
      {tile("nodes", t.nodes, String(s.nodes), s.nodes_offline > 0 ? t.offline(s.nodes_offline) : undefined)}
      {tile(`cameras ${rateClass(s.cameras_total ? s.cameras_online / s.cameras_total : null)}`, t.cameras, `${s.cameras_online} / ${s.cameras_total}`)}
      {tile("recording", t.recording, String(s.cameras_recording))}
      {tile(`rate7d ${rateClass(s.online_rate_7d)}`, t.rate7d, percent(s.online_rate_7d))}
      {tile(`rate30d ${rateClass(s.online_rate_30d)}`, t.rate30d, percent(s.online_rate_30d))}
      {tile("storage", t.storage, bytes(s.storage_used_bytes))}
      {tile(`alarms ${s.alarms_open > 0 ? "bad" : ""}`, t.alarms, String(s.alarms_open))}
    </div>
  );
}

// A long table (a county's thousands of nodes) shows its first rows and
// more on demand: drawing them all took seconds (bench/RESULTS.md,
// "overview"). Sorting and the filter still apply to every row.
const kRowsShown = 100;

function MoreRows({ shown, total, onShow }: { shown: number; total: number; onShow: (n: number) => void }) {
  const t = overviewText();
  if (shown >= total) return null;
  return (
    <p class="more-rows">
      <span class="dim">{t.rowsShown(shown, total)}</span>
      <button onClick={() => onShow(shown + kRowsShown)}>{t.showMore(Math.min(kRowsShown, total - shown))}</button>
      <button onClick={() => onShow(total)}>{t.showAll(total)}</button>
    </p>
  );
}

function NodeTable({ nodes, onUnder }: { nodes: OverviewNode[]; onUnder?: (id: string) => void }) {
  const t = overviewText();
  const c = t.columns;
  const [sort, setSort] = useState<{ key: NodeKey; asc: boolean }>({ key: "rate7d", asc: true });
  const sorted = useMemo(() => {
    const self = nodes.filter((n) => n.link === "self");
    const rest = nodes.filter((n) => n.link !== "self");
    rest.sort((a, b) => compare(nodeValue[sort.key](a), nodeValue[sort.key](b), sort.asc));
    return [...self, ...rest];
  }, [nodes, sort]);
  const head = (key: NodeKey, label: string) => (
    <th aria-sort={sort.key === key ? (sort.asc ? "ascending" : "descending") : "none"}>
      <button class="sort" title={t.sortBy(label)} onClick={() => setSort({ key, asc: sort.key === key ? !sort.asc : true })}>
        {label}
        {sort.key === key ? (sort.asc ? " ▲" : " ▼") : ""}
      </button>
    </th>
  );
  const [shown, setShown] = useState(kRowsShown);
  const days = (n: number | null) => (n === null ? "–" : t.days(n));
  return (
    <>
      <div class="table-wrap">
        <table class="audit overview-nodes" data-rows={sorted.length}>
          <thead>
            <tr>
              {head("name", c.name)}
              {head("tier", c.tier)}
              {head("link", c.link)}
              <th>{c.lastSeen}</th>
              {head("cameras", c.cameras)}
              {head("online", c.online)}
              <th>{c.recording}</th>
              {head("rate7d", c.rate7d)}
              {head("rate30d", c.rate30d)}
              {head("storage", c.storage)}
              {head("kept", c.kept)}
              {head("forecast", c.forecast)}
              {head("alarms", c.alarms)}
            </tr>
          </thead>
          <tbody>
            {sorted.slice(0, shown).map((n) => (
              <tr key={n.id} class={`node-row ${n.link} ${rateClass(n.online_rate_7d)}`} data-node={n.id}>
                <td data-label={c.name}>
                  {n.link === "self" ? (
                    <strong>{t.thisNode}</strong>
                  ) : onUnder ? (
                    <a href="#" class="under-link" onClick={(e) => (e.preventDefault(), onUnder(n.id))} translate={false}>
                      {"· ".repeat(n.path.length - 1)}
                      {n.name}
                    </a>
                  ) : (
                    <span translate={false}>{n.name}</span>
                  )}
                </td>
                <td data-label={c.tier}>{t.tiers[n.tier] ?? n.tier}</td>
                <td data-label={c.link} class={`link ${n.link}`}>
                  {t.links[n.link]}
                </td>
                <td data-label={c.lastSeen}>{n.last_seen && n.link !== "self" ? dateTime(Date.parse(n.last_seen)) : "–"}</td>
                {n.totals_shared ? (
                  <>
                    <td data-label={c.cameras}>
                      {n.cameras_total}
                      {n.cameras_named > 0 && <span class="dim"> ({t.namedOf(n.cameras_named)})</span>}
                    </td>
                    <td data-label={c.online}>{n.cameras_online}</td>
                    <td data-label={c.recording}>{n.cameras_recording}</td>
                    <td data-label={c.rate7d}>{percent(n.online_rate_7d)}</td>
                    <td data-label={c.rate30d}>{percent(n.online_rate_30d)}</td>
                    <td data-label={c.storage}>{bytes(n.storage_used_bytes)}</td>
                    <td data-label={c.kept}>{days(n.days_kept)}</td>
                    <td data-label={c.forecast}>{days(n.days_forecast)}</td>
                    <td data-label={c.alarms}>{n.alarms_open}</td>
                  </>
                ) : (
                  <td colSpan={9} class="not-shared" title={t.notSharedTitle}>
                    {t.notShared}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <MoreRows shown={shown} total={sorted.length} onShow={setShown} />
    </>
  );
}

function CameraTable({ cameras }: { cameras: OverviewCamera[] }) {
  const t = overviewText();
  const c = t.columns;
  const [shown, setShown] = useState(kRowsShown);
  if (cameras.length === 0) return <p class="empty">{t.noCameras}</p>;
  return (
    <>
      <div class="table-wrap">
        <table class="audit overview-cameras" data-rows={cameras.length}>
          <thead>
            <tr>
              <th>{c.camera}</th>
              <th>{c.node}</th>
              <th>{c.state}</th>
              <th>{c.recording}</th>
              <th>{c.rate7d}</th>
              <th>{c.rate30d}</th>
            </tr>
          </thead>
          <tbody>
            {cameras.slice(0, shown).map((cam) => (
              <tr key={cam.id} class={`camera-row ${cam.online ? "online" : "offline"} ${rateClass(cam.online_rate_7d)}`}>
                <td data-label={c.camera}>
                  <a href={`#/camera/${encodeURIComponent(cam.id)}`} translate={false}>
                    {cam.name}
                  </a>
                </td>
                <td data-label={c.node} translate={false}>
                  {cam.node || t.thisNode}
                </td>
                <td data-label={c.state}>{cam.online ? t.cameraOnline : t.cameraOffline}</td>
                <td data-label={c.recording}>{cam.recording ? t.yes : t.no}</td>
                <td data-label={c.rate7d}>{percent(cam.online_rate_7d)}</td>
                <td data-label={c.rate30d}>{percent(cam.online_rate_30d)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <MoreRows shown={shown} total={cameras.length} onShow={setShown} />
    </>
  );
}

const matches = (text: string, filter: string) => text.toLowerCase().includes(filter.toLowerCase());

// For operators and admins: this node and every node under it at a glance
// (design/UPTIME.md, "Overview"), narrowed to one village or household.
export function Overview() {
  const t = overviewText();
  const [under, setUnder] = useState("");
  const [filter, setFilter] = useState("");
  const [data, setData] = useState<OverviewData>();
  const [error, setError] = useState("");
  const load = async () => {
    try {
      setData(await api.overview(under));
      setError("");
    } catch (e) {
      setError(message(e));
    }
  };
  useEffect(() => {
    load();
    const timer = window.setInterval(load, kPollMs);
    return () => clearInterval(timer);
  }, [under]);
  // Villages and households to narrow to: the nodes with nodes or cameras below them.
  const places = useMemo(() => (data ? data.nodes.filter((n) => n.link !== "self") : []), [data]);
  const nodes = data ? data.nodes.filter((n) => !filter || matches(`${n.id} ${n.name}`, filter)) : [];
  const cameras = data ? data.cameras.filter((c) => !filter || matches(`${c.id} ${c.name} ${c.node}`, filter)) : [];
  return (
    <div class="audit-page overview-page">
      <h2>{t.title}</h2>
      <p class="empty">{t.intro}</p>
      <div class="filters">
        <label>
          {t.under}
          <select value={under} onChange={(e) => setUnder((e.target as HTMLSelectElement).value)}>
            <option value="">{t.everything}</option>
            {under && !places.some((p) => p.id === under) && <option value={under}>{under}</option>}
            {places.map((p) => (
              <option key={p.id} value={p.id}>
                {"· ".repeat(p.path.length - 1)}
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.filter}
          <input type="search" value={filter} placeholder={t.filterPlaceholder} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
        <button onClick={load}>{t.refresh}</button>
        <a class="button download" href={`/api/v1/overview.csv${overviewPath(under)}`} download="overview.csv">
          {t.download}
        </a>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {data && (
        <>
          <Tiles o={data} />
          <section class="overview-chart">
            <h3>{t.chartTitle}</h3>
            <RateChart daily={data.daily} />
          </section>
          <div class="overview-worst">
            <section>
              <h3>{t.worstNodesTitle}</h3>
              {data.worst_nodes.length > 0 ? <NodeTable nodes={data.worst_nodes} /> : <p class="empty">{t.noNodes}</p>}
            </section>
            <section>
              <h3>{t.worstCamerasTitle}</h3>
              <CameraTable cameras={data.worst_cameras} />
            </section>
          </div>
          <section>
            <h3>{t.nodesTitle}</h3>
            {nodes.length > 0 ? <NodeTable nodes={nodes} onUnder={setUnder} /> : <p class="empty">{t.noNodes}</p>}
          </section>
          <section>
            <h3>{t.camerasTitle}</h3>
            <CameraTable cameras={cameras} />
          </section>
        </>
      )}
    </div>
  );
}
