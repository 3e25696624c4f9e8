// A tiny observable value with a preact hook (the app's only global state: session, banner).
import { useEffect, useState } from 'preact/hooks';

export function signal(initial) {
  const subs = new Set();
  let v = initial;
  return {
    get value() {
      return v;
    },
    set value(n) {
      if (n === v) return;
      v = n;
      for (const f of subs) f(v);
    },
    subscribe(f) {
      subs.add(f);
      return () => subs.delete(f);
    },
  };
}

export function useSignal(s) {
  const [v, set] = useState(s.value);
  useEffect(() => {
    set(s.value);
    return s.subscribe(set);
  }, [s]);
  return v;
}
