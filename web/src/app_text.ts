// Every string of the app's frame: the login page, the header and its
// menu, the session's messages, in English and Chinese (i18n.ts).
import { texts } from "./i18n";

const en = {
  // Login
  user: "User",
  password: "Password",
  logIn: "Log in",
  wrongPassword: "Wrong user name or password.",
  tooManyAttempts: (why: string) => `Too many attempts: ${why}. Wait and try again.`,
  sessionExpired: "Your session has expired. Please log in again.",
  loggedOut: "You have logged out.",
  unreachable: "vigil cannot be reached; check the network",

  // The header
  cameras: "Cameras",
  audit: "Audit",
  tvMode: "TV mode",
  leaveTvMode: "Leave TV mode",
  logOut: "Log out",
  // The language switch: its accessible name (its text is the other
  // language's own name).
  language: "Language",
};

export const appText = texts({
  en,
  zh: {
    user: "用户名",
    password: "密码",
    logIn: "登录",
    wrongPassword: "用户名或密码错误。",
    tooManyAttempts: (why) => `尝试次数过多（${why}），请稍后再试。`,
    sessionExpired: "登录已过期，请重新登录。",
    loggedOut: "您已退出登录。",
    unreachable: "无法连接到 vigil，请检查网络",

    cameras: "摄像头",
    audit: "审计日志",
    tvMode: "电视模式",
    leaveTvMode: "退出电视模式",
    logOut: "退出",
    language: "语言",
  },
});

export type AppText = ReturnType<typeof appText>;
