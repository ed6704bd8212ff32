// Every string of device sessions for a TV (devices.tsx, the TV's login
// page), in English and Chinese (i18n.ts).
import { texts } from "./i18n";

const en = {
  // The TV's login page: the code to confirm on a phone
  pairTitle: "Sign in this TV",
  pairHow: "On your phone, open vigil, go to Account, choose \u201cAdd a TV\u201d and enter this code:",
  pairUntil: (time: string) => `The code works until ${time}.`,
  pairAsking: "Asking for a code\u2026",
  pairExpired: "This code has expired.",
  pairAgain: "Get a new code",
  usePassword: "Sign in with a password instead",
  useCode: "Sign in with a code from your phone",
  keepSignedIn: "Keep this TV signed in",
  tvName: "Name of this TV",
  defaultTvName: "TV",

  // Adding a TV, on a phone
  addNav: "Add a TV",
  addTitle: "Add a TV",
  addHow: "On the TV, open vigil: it shows a code of 8 letters. Enter it here and name the TV. The TV then stays signed in as you, with your cameras, until you sign it out.",
  code: "Code shown on the TV",
  name: "Name of the TV",
  namePlaceholder: "Living-room TV",
  add: "Sign in the TV",
  added: (name: string) => `${name} is signed in: it shows your cameras in a moment.`,
  unknownCode: "No TV shows this code. Check the letters, or get a new code on the TV.",
  expiredCode: "This code has expired. Get a new code on the TV.",
  usedCode: "This code has been used already. Get a new code on the TV.",
  tooManyCodes: "Too many wrong codes. Wait a few minutes and try again.",
  backToAccount: "Back to my account",

  // Lists of TVs (account page: one's own; users page: everyone's)
  tvsTitle: "TVs that stay signed in",
  allTvsTitle: "TVs of every user",
  noTvs: "No TV stays signed in.",
  columns: { name: "TV", user: "User", since: "Signed in", lastUsed: "Last used", from: "From" },
  signOut: "Sign out this TV",
  signedOut: (name: string) => `${name} is signed out.`,
};

export const devicesText = texts({
  en,
  zh: {
    pairTitle: "登录这台电视",
    pairHow: "在手机上打开 vigil，进入“我的账户”，选择“添加电视”，然后输入下面的代码：",
    pairUntil: (time) => `代码在 ${time} 之前有效。`,
    pairAsking: "正在获取代码…",
    pairExpired: "此代码已过期。",
    pairAgain: "获取新代码",
    usePassword: "改用密码登录",
    useCode: "用手机上的代码登录",
    keepSignedIn: "让这台电视保持登录",
    tvName: "这台电视的名称",
    defaultTvName: "电视",

    addNav: "添加电视",
    addTitle: "添加电视",
    addHow: "在电视上打开 vigil，屏幕会显示 8 个字母的代码。在这里输入代码并给电视起个名字。之后电视会以您的身份保持登录，显示您的摄像头，直到您让它退出。",
    code: "电视上显示的代码",
    name: "电视名称",
    namePlaceholder: "客厅电视",
    add: "登录电视",
    added: (name) => `${name} 已登录，稍后会显示您的摄像头。`,
    unknownCode: "没有电视显示此代码。请核对字母，或在电视上获取新代码。",
    expiredCode: "此代码已过期，请在电视上获取新代码。",
    usedCode: "此代码已被使用，请在电视上获取新代码。",
    tooManyCodes: "错误的代码太多，请几分钟后再试。",
    backToAccount: "返回我的账户",

    tvsTitle: "保持登录的电视",
    allTvsTitle: "所有用户的电视",
    noTvs: "没有保持登录的电视。",
    columns: { name: "电视", user: "用户", since: "登录时间", lastUsed: "最近使用", from: "来源" },
    signOut: "让这台电视退出",
    signedOut: (name) => `${name} 已退出登录。`,
  },
});
