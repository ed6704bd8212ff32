import { useEffect, useRef, useState } from "preact/hooks";

// While `enabled`: `ask` now, and again `everyMs` after each answer or
// error (never two at once); from scratch when `key` changes. The last
// answer, and the last error's message ("" once an ask succeeds).
export function usePoll<T>(enabled: boolean, ask: () => Promise<T>, everyMs: number, key?: string): { value: T | undefined; error: string } {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState("");
  const askRef = useRef(ask);
  askRef.current = ask;
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let timer = 0;
    const poll = async () => {
      try {
        const v = await askRef.current();
        if (!live) return;
        setValue(() => v);
        setError("");
      } catch (e) {
        if (!live) return;
        setError(e instanceof Error ? e.message : String(e));
      }
      timer = window.setTimeout(poll, everyMs);
    };
    poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [enabled, everyMs, key]);
  return { value, error };
}
