import { useEffect, useRef, useState } from "preact/hooks";
import { DAY, fromLocalInput, toLocalInput } from "./time";

// A list asked of the server with a form's filters: asked once at first,
// then at each submit (load). Its last answer, and the last error's message.
export function useFilteredList<T>(ask: () => Promise<T>): { value: T | undefined; error: string; load: (e?: Event) => void } {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState("");
  const askRef = useRef(ask);
  askRef.current = ask;
  const load = async (e?: Event) => {
    e?.preventDefault();
    setError("");
    try {
      setValue(await askRef.current());
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  useEffect(() => {
    load();
  }, []);
  return { value, error, load };
}

// A From/To pair of local times; From a day ago at first, To empty (now).
export function useTimeRange() {
  const [start, setStart] = useState(() => toLocalInput(Date.now() - DAY));
  const [end, setEnd] = useState("");
  return {
    start,
    end,
    setStart,
    setEnd,
    // In ms, undefined when empty.
    startMs: () => (start ? fromLocalInput(start) : undefined),
    endMs: () => (end ? fromLocalInput(end) : undefined),
  };
}

export function TimeRangeFields({ range, from, to }: { range: ReturnType<typeof useTimeRange>; from: string; to: string }) {
  return (
    <>
      <label>
        {from}
        <input type="datetime-local" step="1" name="start" value={range.start} onInput={(e) => range.setStart(e.currentTarget.value)} />
      </label>
      <label>
        {to}
        <input type="datetime-local" step="1" name="end" value={range.end} onInput={(e) => range.setEnd(e.currentTarget.value)} />
      </label>
    </>
  );
}
