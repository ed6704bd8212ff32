import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, type Me, api, onSessionExpired } from "./api";
import { type AppText, appText } from "./app_text";
import { AlarmButton, AlarmFlow, AlarmStatus, alarmKeyFromUrl, alarmRoles, installAlarmKeys, useOwnAlarms } from "./alarm";
import { Alerts } from "./alerts";
import { Audit } from "./audit";
import { auditText } from "./audit_text";
import { broadcastText } from "./broadcast_text";
import { BroadcastDesk } from "./broadcasts";
import { CameraView } from "./camera";
import { CamerasAdmin } from "./cameras_admin";
import { camerasText } from "./cameras_text";
import { Desk, useActiveAlarms } from "./desk";
import { AddTv } from "./devices";
import { Events, NewDetection, useNewDetections } from "./events";
import { eventsText } from "./events_text";
import { deskText } from "./desk_text";
import { Grid } from "./grid";
import { Login } from "./login";
import { Looks, useNewLooks } from "./looks";
import { looksText } from "./looks_text";
import { Network } from "./network";
import { Register } from "./register";
import { Overview } from "./overview";
import { overviewText } from "./overview_text";
import { Account, Users } from "./users";
import { usersText } from "./users_text";
import { networkText } from "./network_text";
import { NoticeTakeover, Notices, useBroadcasts } from "./notices";
import { applyLang, lang } from "./i18n";
import { LangSwitch } from "./lang_switch";
import { installKeys, setTvMode, tvModeFromUrl } from "./tv";
import "./style.css";

// Routes live in the fragment (#/camera/gate), so any server that serves
// index.html at / serves every page.
type Route =
  | { page: "grid" }
  | { page: "camera"; id: string; from?: number }
  | { page: "events" }
  | { page: "audit" }
  | { page: "looks" }
  | { page: "overview" }
  | { page: "desk" }
  | { page: "network" }
  | { page: "notices" }
  | { page: "broadcasts" }
  | { page: "users" }
  | { page: "cameras" }
  | { page: "account" }
  | { page: "add-tv" };

function parseRoute(): Route {
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  if (parts[0] === "camera" && parts[1]) {
    // #/camera/<id>/<ms>: played from that moment (an event's).
    const from = Number(parts[2]);
    return { page: "camera", id: decodeURIComponent(parts[1]), from: parts[2] && Number.isFinite(from) ? from : undefined };
  }
  if (parts[0] === "events") return { page: "events" };
  if (parts[0] === "audit") return { page: "audit" };
  if (parts[0] === "looks") return { page: "looks" };
  if (parts[0] === "overview") return { page: "overview" };
  if (parts[0] === "network") return { page: "network" };
  if (parts[0] === "desk") return { page: "desk" };
  if (parts[0] === "notices") return { page: "notices" };
  if (parts[0] === "broadcasts") return { page: "broadcasts" };
  if (parts[0] === "users") return { page: "users" };
  if (parts[0] === "settings" && parts[1] === "cameras") return { page: "cameras" };
  if (parts[0] === "account") return { page: "account" };
  if (parts[0] === "add-tv") return { page: "add-tv" };
  return { page: "grid" };
}

export function navigate(hash: string): void {
  location.hash = hash;
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined); // undefined: still asking
  // Said in the language of the moment (a switch rewrites it).
  const [notice, setNotice] = useState<(t: AppText) => string>(() => () => "");
  const [route, setRoute] = useState<Route>(parseRoute);
  const [tv, setTv] = useState(tvModeFromUrl);
  // The language: switching sets it here, and the whole tree re-renders in
  // it (every component reads its strings when it renders).
  const [, setLangShown] = useState(lang);
  // A node's admin is its cameras' owner: told of looks from other tiers.
  const looks = useNewLooks(me?.role === "admin");
  const roles = alarmRoles(me);
  const own = useOwnAlarms(roles.raises);
  // Only once logged in: a poll's 401 from before a login, answered after
  // it, would end the new session.
  const desk = useActiveAlarms(roles.desk || (!!me && route.page === "desk" && me.role !== "viewer"));
  const [alarmFlow, setAlarmFlow] = useState(false);
  // Notices from the tiers above, and at a desk those sent from here.
  const notices = useBroadcasts(!!me);
  const [alarmKey] = useState(alarmKeyFromUrl);
  // A household is told of each new person, vehicle or animal.
  const detections = useNewDetections(me?.tier === "household");

  useEffect(() => {
    document.documentElement.classList.toggle("tv", tv);
  }, [tv]);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    api.me().then(setMe, (e) => {
      setMe(null);
      if (!(e instanceof ApiError && e.status === 401)) setNotice(() => () => e.message);
    });
  }, []);

  useEffect(() => {
    onSessionExpired(() => {
      setMe((current) => {
        if (current) setNotice(() => (t: AppText) => t.sessionExpired);
        return null;
      });
    });
  }, []);

  useEffect(
    () =>
      installKeys(tv, () => {
        if (route.page !== "grid") navigate("#/");
      }),
    [tv, route.page],
  );

  useEffect(() => {
    if (tv && roles.raises) return installAlarmKeys(alarmKey, () => setAlarmFlow(true));
  }, [tv, roles.raises, alarmKey]);

  if (me === undefined) return <div class="splash">vigil</div>;
  if (me === null) {
    return (
      <Login
        notice={notice(appText())}
        langSwitch={<LangSwitch onChange={setLangShown} />}
        tv={tv}
        onLogin={(m) => {
          setNotice(() => () => "");
          setMe(m);
        }}
      />
    );
  }

  const toggleTv = () => {
    setTvMode(!tv);
    setTv(!tv);
  };
  const logout = async () => {
    try {
      await api.logout();
    } catch {
      // the session may be gone already; the login page is next either way
    }
    setNotice(() => (t: AppText) => t.loggedOut);
    setMe(null);
  };

  const openAlarms = desk.alarms?.filter((a) => a.state === "open").length ?? 0;
  const t = appText();
  const eventsT = eventsText();
  const looksT = looksText();
  const deskT = deskText();
  const broadcastT = broadcastText();
  return (
    <>
      <div class="app" data-page={route.page} inert={alarmFlow || notices.urgent !== undefined}>
        <header class="bar">
          <a class="brand" href="#/" translate={false}>
            vigil
          </a>
          <nav>
            <a href="#/" class={route.page === "grid" || route.page === "camera" ? "current" : ""}>
              {t.cameras}
            </a>
            <a href="#/events" class={route.page === "events" ? "current" : ""}>
              {eventsT.nav}
            </a>
            <a href="#/audit" class={route.page === "audit" ? "current" : ""}>
              {me.role === "admin" ? t.audit : auditText().mineNav}
            </a>
            {me.role === "admin" && (
              <a href="#/looks" class={route.page === "looks" ? "current" : ""}>
                {looksT.nav}
                {looks.count > 0 && <span class="badge new-looks">{looksT.newBadge(looks.count)}</span>}
              </a>
            )}
            {me.role !== "viewer" && (
              <a href="#/overview" class={route.page === "overview" ? "current" : ""}>
                {overviewText().nav}
              </a>
            )}
            {me.role === "admin" && (
              <a href="#/network" class={route.page === "network" ? "current" : ""}>
                {networkText().nav}
              </a>
            )}
            {/* Not on a TV: its remote types no addresses, users nor passwords. */}
            {me.role === "admin" && !tv && (
              <a href="#/settings/cameras" class={route.page === "cameras" ? "current" : ""}>
                {camerasText().nav}
              </a>
            )}
            {me.role === "admin" && !tv && (
              <a href="#/users" class={route.page === "users" ? "current" : ""}>
                {usersText().nav}
              </a>
            )}
            {!tv && (
              <a href="#/account" class={route.page === "account" || route.page === "add-tv" ? "current" : ""}>
                {usersText().accountNav}
              </a>
            )}
            {roles.desk && (
              <a href="#/desk" class={route.page === "desk" ? "current" : ""}>
                {deskT.nav}
                {openAlarms > 0 && <span class="badge open-alarms">{deskT.openBadge(openAlarms)}</span>}
              </a>
            )}
            {roles.desk && (
              <a href="#/broadcasts" class={route.page === "broadcasts" ? "current" : ""}>
                {broadcastT.deskNav}
              </a>
            )}
            {(me.tier === "household" || notices.received.length > 0) && (
              <a href="#/notices" class={route.page === "notices" ? "current" : ""}>
                {broadcastT.nav}
                {notices.unseen > 0 && <span class="badge unseen-notices">{broadcastT.unseenBadge(notices.unseen)}</span>}
              </a>
            )}
          </nav>
          <span class="spacer" />
          <button class="tv-toggle" onClick={toggleTv}>
            {tv ? t.leaveTvMode : t.tvMode}
          </button>
          <LangSwitch onChange={setLangShown} />
          <span class="who" translate={false}>
            {me.user}
          </span>
          <button onClick={logout}>{t.logOut}</button>
        </header>
        {notice(t) !== "" && (
          <p class="notice" role="status">
            {notice(t)}
          </p>
        )}
        {looks.count > 0 && route.page !== "looks" && (
          <p class="notice looks-notice" role="status">
            {looksT.notice(looks.count)} <a href="#/looks">{looksT.noticeLink}</a>
          </p>
        )}
        <Alerts enabled={me.role !== "viewer"} />
        {detections.latest && <NewDetection event={detections.latest} onDismiss={detections.dismiss} />}
        {roles.raises && <AlarmStatus alarms={own.alarms} onDismiss={own.dismiss} />}
        <main>
          {route.page === "grid" && <Grid tv={tv} action={roles.raises && <AlarmButton onOpen={() => setAlarmFlow(true)} />} />}
          {route.page === "camera" && <CameraView key={`${route.id}/${route.from ?? ""}`} id={route.id} from={route.from} tv={tv} canExport={me.role !== "viewer"} canShare={me.role === "admin"} />}
          {route.page === "events" && <Events />}
          {route.page === "audit" && <Audit mine={me.role !== "admin"} />}
          {route.page === "looks" && me.role === "admin" && <Looks latest={looks.latest} onSeen={looks.seen} />}
          {route.page === "desk" && me.role !== "viewer" && <Desk active={desk} />}
          {route.page === "network" && me.role === "admin" && <Network />}
          {route.page === "overview" && me.role !== "viewer" && <Overview />}
          {route.page === "notices" && <Notices notices={notices} />}
          {route.page === "users" && me.role === "admin" && <Users me={me} />}
          {route.page === "cameras" && me.role === "admin" && <CamerasAdmin />}
          {route.page === "account" && (
            <Account
              me={me}
              onPasswordChanged={() => {
                setNotice(() => () => usersText().passwordChanged);
                setMe(null);
              }}
            />
          )}
          {route.page === "add-tv" && <AddTv />}
          {route.page === "broadcasts" && roles.desk && <BroadcastDesk notices={notices} admin={me.role === "admin"} />}
        </main>
      </div>
      {alarmFlow && <AlarmFlow onClose={() => setAlarmFlow(false)} onRaised={own.track} />}
      {notices.urgent && <NoticeTakeover key={notices.urgent.id} notice={notices.urgent} tv={tv} onDismiss={() => notices.seen(notices.urgent!.id)} />}
    </>
  );
}

applyLang();
// The public register is read without an account: no login, no session asked for.
render(location.pathname === "/register" ? <Register /> : <App />, document.getElementById("app")!);
