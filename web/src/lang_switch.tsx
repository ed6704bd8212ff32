import { appText } from "./app_text";
import { type Lang, kLangNames, kLangs, kTags, lang, setLang } from "./i18n";

// The language switch: a button named in the other language ("中文" in
// English, "English" in Chinese), the way a phone's settings show
// languages; onChange re-renders the app from its root.
export function LangSwitch({ onChange }: { onChange: (l: Lang) => void }) {
  const other = kLangs.find((l) => l !== lang())!;
  return (
    <button
      type="button"
      class="lang-switch"
      lang={kTags[other]}
      title={appText().language}
      onClick={() => {
        setLang(other);
        onChange(other);
      }}
    >
      {kLangNames[other]}
    </button>
  );
}
